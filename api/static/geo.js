// Datum shifts for Chinese basemaps. Map services licensed in China (AMap, Tencent, …) draw their tiles on
// GCJ-02, a published obfuscation of WGS-84 that moves points by 100–700 m; GPS fixes and the corridor
// data are WGS-84. With such tiles every point is shifted onto their grid before drawing, and a click
// is shifted back before it is used, so coaches sit on the drawn roads.

const A = 6378245.0; // Krasovsky 1940 semi-major axis, as GCJ-02 defines it
const EE = 0.00669342162296594323; // its eccentricity squared

/** Outside mainland China GCJ-02 is WGS-84 itself. */
export function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function shiftLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function shiftLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** [lon, lat] on WGS-84 → [lon, lat] on GCJ-02. */
export function wgs84ToGcj02([lon, lat]) {
  if (outOfChina(lon, lat)) return [lon, lat];
  const radLat = (lat / 180) * Math.PI;
  const magic = 1 - EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (shiftLat(lon - 105, lat - 35) * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLon = (shiftLon(lon - 105, lat - 35) * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/** [lon, lat] on GCJ-02 → WGS-84, by fixed-point iteration (well under a metre after a few rounds). */
export function gcj02ToWgs84([lon, lat]) {
  let guess = [lon, lat];
  for (let i = 0; i < 6; i++) {
    const [sx, sy] = wgs84ToGcj02(guess);
    guess = [guess[0] - (sx - lon), guess[1] - (sy - lat)];
  }
  return guess;
}

/** The identity, or the GCJ-02 shift and its inverse, for a basemap datum ("wgs84" | "gcj02"). */
export function datum(crs) {
  if (crs === "gcj02") return { toMap: wgs84ToGcj02, fromMap: gcj02ToWgs84 };
  return { toMap: (p) => p, fromMap: (p) => p };
}
