// PostgreSQL 15's default time zone abbreviations (timezone_abbreviations = 'Default', from
// share/timezonesets/Default): fixed offsets, daylight-time flags, and the abbreviations whose
// meaning follows a zone's history (resolved here with that zone's offset at the time).

/** A fixed abbreviation: seconds east of UTC, and whether it names daylight time (DTZ). */
export interface FixedAbbrev {
  offset: number;
  dst: boolean;
}

/** 'ABBR offset' entries; a trailing D marks daylight-time abbreviations. */
const FIXED = [
  'ACDT=37800D ACSST=37800D ACST=34200 ACT=-18000 ACWST=31500 ADT=-10800D AEDT=39600D AESST=39600D ',
  'AEST=36000 AFT=16200 AKDT=-28800D AKST=-32400 ALMST=25200D ALMT=21600 AMT=-14400 AST=-14400 ',
  'AWSST=32400D AWST=28800 AZOST=0D AZOT=-3600 BDST=7200D BDT=21600 BNT=28800 BORT=28800 BOT=-14400 ',
  'BRA=-10800 BRST=-7200D BRT=-10800 BST=3600D BTT=21600 CADT=37800D CAST=34200 CCT=28800 CDT=-18000D ',
  'CEST=7200D CET=3600 CETDST=7200D CHADT=49500D CHAST=45900 CHUT=36000 CLST=-10800D COT=-18000 ',
  'CST=-21600 CXT=25200 DDUT=36000 EAT=10800 EDT=-14400D EEST=10800D EET=7200 EETDST=10800D EGST=0D ',
  'EGT=-3600 EST=-18000 FET=10800 FJST=46800D FJT=43200 FNST=-3600D FNT=-7200 GALT=-21600 GAMT=-32400 ',
  'GFT=-10800 GILT=43200 GMT=0 HKT=28800 HST=-36000 ICT=25200 IDT=10800D IRT=12600 IST=7200 JAYT=32400 ',
  'JST=32400 KDT=36000D KGST=21600D KST=32400 LHST=37800 LIGT=36000 MART=-34200 MDT=-21600D MEST=7200D ',
  'MESZ=7200D MET=3600 METDST=7200D MEZ=3600 MHT=43200 MMT=23400 MPT=36000 MSD=14400D MST=-25200 ',
  'MUST=18000D MUT=14400 MVT=18000 MYT=28800 NDT=-9000D NFT=-12600 NPT=20700 NST=-12600 NZDT=46800D ',
  'NZST=43200 NZT=43200 PDT=-25200D PET=-18000 PGT=36000 PHT=28800 PKST=21600D PKT=18000 PMDT=-7200D ',
  'PMST=-10800 PONT=39600 PST=-28800 PWT=32400 PYST=-10800D RET=14400 SADT=37800D SAST=7200 SCT=14400 ',
  'TAHT=-36000 TFT=18000 TJT=18000 TOT=46800 TRUT=36000 TVT=43200 UCT=0 ULAST=32400D UT=0 UTC=0 ',
  'UYST=-7200D UYT=-10800 UZST=21600D UZT=18000 VUT=39600 WADT=28800D WAKT=43200 WAST=25200 WAT=3600 ',
  'WDT=32400D WET=0 WETDST=3600D WFT=43200 WGST=-7200D WGT=-10800 XJT=21600 YAPT=36000 YEKST=21600D Z=0 ',
  'ZULU=0 ',
].join('');

/** Abbreviations defined by a zone (DYNTZ). */
const DYNAMIC: Record<string, string> = {
  amst: 'Asia/Yerevan',
  anast: 'Asia/Anadyr',
  anat: 'Asia/Anadyr',
  arst: 'America/Argentina/Buenos_Aires',
  art: 'America/Argentina/Buenos_Aires',
  azst: 'Asia/Baku',
  azt: 'Asia/Baku',
  ckt: 'Pacific/Rarotonga',
  clt: 'America/Santiago',
  davt: 'Antarctica/Davis',
  easst: 'Pacific/Easter',
  east: 'Pacific/Easter',
  fkst: 'Atlantic/Stanley',
  fkt: 'Atlantic/Stanley',
  gest: 'Asia/Tbilisi',
  get: 'Asia/Tbilisi',
  gyt: 'America/Guyana',
  iot: 'Indian/Chagos',
  irkst: 'Asia/Irkutsk',
  irkt: 'Asia/Irkutsk',
  kgt: 'Asia/Bishkek',
  kost: 'Pacific/Kosrae',
  krast: 'Asia/Krasnoyarsk',
  krat: 'Asia/Krasnoyarsk',
  lhdt: 'Australia/Lord_Howe',
  lint: 'Pacific/Kiritimati',
  lkt: 'Asia/Colombo',
  magst: 'Asia/Magadan',
  magt: 'Asia/Magadan',
  mawt: 'Antarctica/Mawson',
  msk: 'Europe/Moscow',
  novst: 'Asia/Novosibirsk',
  novt: 'Asia/Novosibirsk',
  nut: 'Pacific/Niue',
  omsst: 'Asia/Omsk',
  omst: 'Asia/Omsk',
  petst: 'Asia/Kamchatka',
  pett: 'Asia/Kamchatka',
  pyt: 'America/Asuncion',
  sgt: 'Asia/Singapore',
  tkt: 'Pacific/Fakaofo',
  tmt: 'Asia/Ashgabat',
  ulat: 'Asia/Ulaanbaatar',
  vet: 'America/Caracas',
  vlast: 'Asia/Vladivostok',
  vlat: 'Asia/Vladivostok',
  volt: 'Europe/Volgograd',
  yakst: 'Asia/Yakutsk',
  yakt: 'Asia/Yakutsk',
  yekt: 'Asia/Yekaterinburg',
};

const fixedTable = new Map<string, FixedAbbrev>();
for (const entry of FIXED.trim().split(/\s+/)) {
  const m = /^([A-Z]+)=(-?\d+)(D?)$/.exec(entry)!;
  fixedTable.set(m[1]!.toLowerCase(), { offset: Number(m[2]), dst: m[3] === 'D' });
}

/** The fixed abbreviation of a lower-case token, if PostgreSQL's default set has it. */
export function fixedAbbrev(token: string): FixedAbbrev | undefined {
  return fixedTable.get(token);
}

/** The IANA zone a dynamic abbreviation (lower-case) stands for. */
export function dynamicAbbrevZone(token: string): string | undefined {
  return Object.hasOwn(DYNAMIC, token) ? DYNAMIC[token] : undefined;
}
