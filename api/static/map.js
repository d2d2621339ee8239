// The corridor map: the service's own GeoJSON drawn as SVG (no tiles, works offline).
// Projection: equirectangular around the corridor's mean latitude — at 120 km the distortion
// is far below what a dispatcher can see, and clicks invert exactly.

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 640; // about its width on a desk screen, so SVG units are close to CSS pixels
const PAD = 30;
const LABELLED_KINDS = new Set(["depot", "town", "service_area", "interchange", "section_end"]);
const KM_POST = /G1\s*K\s*(\d+(?:\.\d+)?)(?:\s*\+\s*(\d+))?\s*(?:toward|to|往|向)?\s*(changchun|siping|长春|四平)?/i;
const SIDE_ARROW = 34; // length of a carriageway's direction arrow, SVG units
const SIDE_OFFSET = 7; // arrows sit to the right of their travel direction, as the carriageways do

function svg(tag, attrs = {}, text) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function projection(points) {
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const kx = Math.cos(((minLat + maxLat) / 2) * (Math.PI / 180));
  const scale = (WIDTH - 2 * PAD) / ((maxLon - minLon) * kx);
  const height = Math.round((maxLat - minLat) * scale + 2 * PAD);
  return {
    height,
    scale, // SVG units per degree of latitude
    project: ([lon, lat]) => [PAD + (lon - minLon) * kx * scale, PAD + (maxLat - lat) * scale],
    unproject: ([x, y]) => [minLon + (x - PAD) / (kx * scale), maxLat - (y - PAD) / scale],
  };
}

/**
 * Draw the corridor into `root` (an <svg>) and return the handle the desk uses. `onPick` gets each
 * click on the map; `onSide` the carriageway a dispatcher clicks among those `setSides` drew.
 */
export function createMap(root, geojson, { onPick, onSide, label }) {
  const nodes = new Map();
  const edges = [];
  for (const feature of geojson.features) {
    if (feature.geometry.type === "Point") nodes.set(feature.properties.id ?? feature.id, feature);
    else if (feature.geometry.type === "LineString") edges.push(feature);
  }
  const allPoints = [...nodes.values()].map((f) => f.geometry.coordinates);
  const proj = projection(allPoints);
  root.setAttribute("viewBox", `0 0 ${WIDTH} ${proj.height}`);
  root.replaceChildren();
  const layers = {};
  for (const name of ["edges", "roads", "nodes", "labels", "coaches", "incidents", "pick"]) {
    layers[name] = root.appendChild(svg("g", { class: `layer-${name}` }));
  }
  root.insertBefore(svg("rect", { class: "map-bg", x: 0, y: 0, width: WIDTH, height: proj.height }), root.firstChild);

  drawEdges(layers.edges, edges, proj);
  drawRoadShields(layers.roads, edges, proj);
  drawScale(root, proj);
  const state = { lang: "en" };

  function drawNodes() {
    layers.nodes.replaceChildren();
    layers.labels.replaceChildren();
    for (const feature of nodes.values()) {
      const { kind } = feature.properties;
      const [x, y] = proj.project(feature.geometry.coordinates);
      const mark = nodeMark(kind, x, y);
      if (!mark) continue;
      mark.appendChild(svg("title", {}, nodeName(feature, state.lang)));
      layers.nodes.appendChild(mark);
      if (LABELLED_KINDS.has(kind)) layers.labels.appendChild(nodeLabel(feature, x, y, state.lang));
    }
  }

  root.addEventListener("click", (event) => {
    const point = root.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const local = point.matrixTransform(root.getScreenCTM().inverse());
    const [lon, lat] = proj.unproject([local.x, local.y]);
    onPick({ lat, lon, text: `${lat.toFixed(4)},${lon.toFixed(4)}`, near: nearestName(lon, lat) });
  });

  function nearestName(lon, lat) {
    let best = null;
    let bestD = Infinity;
    for (const feature of nodes.values()) {
      if (!LABELLED_KINDS.has(feature.properties.kind) && feature.properties.kind !== "stop") continue;
      const [flon, flat] = feature.geometry.coordinates;
      const d = (flon - lon) ** 2 + (flat - lat) ** 2;
      if (d < bestD) [best, bestD] = [feature, d];
    }
    return best ? nodeName(best, state.lang) : "";
  }

  /** Where a location text (node id, "lat,lon", or a G1 kilometre post) lies, as [lon, lat], or null. */
  function locate(text) {
    if (!text) return null;
    const trimmed = text.trim();
    if (nodes.has(trimmed)) return nodes.get(trimmed).geometry.coordinates;
    const pair = trimmed.match(/^(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$/);
    if (pair) return [Number(pair[2]), Number(pair[1])];
    const post = trimmed.match(KM_POST);
    if (post) return kmPost(postKm(post), post[3]);
    return null;
  }

  function postKm(post) {
    return Number(post[1]) + (post[2] ? Number(post[2]) / 1000 : 0);
  }

  function kmPost(km, toward) {
    const side = toward ? (/changchun|长春/i.test(toward) ? "to_changchun" : "to_siping") : null;
    const posts = [...nodes.values()]
      .filter((f) => f.properties.kind === "carriageway" && (!side || f.properties.direction === side))
      .sort((a, b) => a.properties.km - b.properties.km);
    for (let i = 1; i < posts.length; i++) {
      const [a, b] = [posts[i - 1], posts[i]];
      if (km >= a.properties.km && km <= b.properties.km) {
        const share = (km - a.properties.km) / (b.properties.km - a.properties.km || 1);
        const [ax, ay] = a.geometry.coordinates;
        const [bx, by] = b.geometry.coordinates;
        return [ax + (bx - ax) * share, ay + (by - ay) * share];
      }
    }
    return null;
  }

  function setCoaches(fleet, bookings) {
    layers.coaches.replaceChildren();
    const byDepot = new Map();
    for (const vehicle of fleet) {
      if (!byDepot.has(vehicle.depot)) byDepot.set(vehicle.depot, []);
      byDepot.get(vehicle.depot).push(vehicle);
    }
    for (const [depot, vehicles] of byDepot) {
      const feature = nodes.get(depot);
      if (!feature) continue;
      layers.coaches.appendChild(coachBlock(depot, feature, vehicles, proj, label, state.lang));
    }
  }

  function setIncidents(incidents) {
    layers.incidents.replaceChildren();
    for (const incident of incidents) {
      const where = locate(incident.report && incident.report.location);
      if (!where) continue;
      const [x, y] = proj.project(where);
      const group = svg("g", { class: `incident status-${incident.status}`, "data-number": incident.number });
      group.appendChild(svg("path", { d: `M${x},${y - 13} L${x + 9},${y + 4} L${x - 9},${y + 4} Z`, class: "incident-mark" }));
      group.appendChild(svg("text", { x, y: y + 1, class: "incident-num", "text-anchor": "middle" }, "!"));
      group.appendChild(svg("text", { x: x + 11, y: y - 4, class: "incident-label halo" }, `#${incident.number}`));
      group.appendChild(svg("title", {}, `#${incident.number} ${incident.report.vehicle_id} · ${incident.report.location}`));
      layers.incidents.appendChild(group);
    }
  }

  function setPick(text) {
    layers.pick.replaceChildren();
    const where = locate(text);
    if (!where) return false;
    const [x, y] = proj.project(where);
    const group = svg("g", { class: "pick" });
    group.appendChild(svg("circle", { cx: x, cy: y, r: 9 }));
    group.appendChild(svg("path", { d: `M${x - 15},${y} H${x - 4} M${x + 4},${y} H${x + 15} M${x},${y - 15} V${y - 4} M${x},${y + 4} V${y + 15}` }));
    // A kilometre post with its direction shows that side's arrow: which carriageway is visible.
    const post = text.trim().match(KM_POST);
    const direction = post && post[3] ? (/changchun|长春/i.test(post[3]) ? "to_changchun" : "to_siping") : null;
    if (direction) group.appendChild(sideArrow({ direction, km: postKm(post), lon: where[0], lat: where[1] }));
    layers.pick.appendChild(group);
    return true;
  }

  /**
   * A clicked point on G1 as both carriageways (from /network/snap): an arrow along each one's travel
   * direction, labelled, clickable; the desk asks which side before the location is filled in.
   */
  function setSides(sides) {
    layers.pick.replaceChildren();
    const group = svg("g", { class: "pick sides" });
    const [x, y] = proj.project([sides[0].lon, sides[0].lat]);
    group.appendChild(svg("circle", { cx: x, cy: y, r: 9 }));
    for (const side of sides) {
      const arrow = sideArrow(side);
      arrow.addEventListener("click", (event) => {
        event.stopPropagation(); // not a new pick on the map
        if (onSide) onSide(side);
      });
      group.appendChild(arrow);
    }
    layers.pick.appendChild(group);
  }

  /** The arrow of one carriageway at kilometre `km`, pointing the way its traffic goes. */
  function sideArrow({ direction, km, lon, lat }) {
    const toward = direction === "to_changchun" ? "changchun" : "siping";
    const step = direction === "to_changchun" ? 1 : -1; // kilometre posts grow toward Changchun
    const ahead = kmPost(km + step, toward) || kmPost(km, toward);
    const behind = kmPost(km - step, toward) || kmPost(km, toward);
    const [x, y] = proj.project([lon, lat]);
    let [dx, dy] = [0, 0];
    if (ahead && behind) {
      const [ax, ay] = proj.project(ahead);
      const [bx, by] = proj.project(behind);
      [dx, dy] = [ax - bx, ay - by];
    }
    const norm = Math.hypot(dx, dy) || 1;
    [dx, dy] = [dx / norm, dy / norm];
    const [ox, oy] = [x - dy * SIDE_OFFSET, y + dx * SIDE_OFFSET]; // right of travel (y grows downward)
    const [tx, ty] = [ox + dx * SIDE_ARROW, oy + dy * SIDE_ARROW];
    const head = `M${tx},${ty} L${tx - dx * 8 - dy * 5},${ty - dy * 8 + dx * 5} L${tx - dx * 8 + dy * 5},${ty - dy * 8 - dx * 5} Z`;
    const group = svg("g", { class: `side side-${direction}`, "data-direction": direction });
    group.appendChild(svg("path", { d: `M${ox},${oy} L${tx},${ty}`, class: "side-shaft" }));
    group.appendChild(svg("path", { d: head, class: "side-head" }));
    // The label beside its arrow, on the far side from the other carriageway, kept inside the map.
    const text = label(`side.${direction}`);
    const [rx, ry] = [-dy, dx];
    const anchorStart = rx >= 0;
    const width = estimateWidth(text, 6.8);
    let lx = ox + dx * SIDE_ARROW * 0.5 + rx * 12;
    lx = anchorStart ? Math.min(lx, WIDTH - 4 - width) : Math.max(lx, 4 + width);
    const ly = oy + dy * SIDE_ARROW * 0.5 + ry * 12 + 4;
    group.appendChild(svg("text", { x: lx, y: ly, "text-anchor": anchorStart ? "start" : "end",
      class: "side-label halo" }, text));
    group.appendChild(svg("title", {}, text));
    return group;
  }

  function setLang(lang) {
    state.lang = lang;
    drawNodes();
  }

  setLang(state.lang);
  return { setLang, setCoaches, setIncidents, setPick, setSides, locate };
}

function nodeName(feature, lang) {
  const { name, name_zh: nameZh, id } = feature.properties;
  return (lang === "zh" ? nameZh || name : name || nameZh) || id;
}

function shortName(feature, lang) {
  const full = nodeName(feature, lang);
  // Interchange names carry their role in brackets; the map has the km post instead.
  return full.replace(/\s*[（(].*?[)）]\s*/g, " ").trim()
    .replace(/([\u4e00-\u9fff]) ([\u4e00-\u9fff])/g, "$1$2")
    .replace(/ (interchange|service area)$/i, "");
}

function drawEdges(layer, edges, proj) {
  const order = { city: 0, ramp: 1, national: 2, expressway: 3 };
  const sorted = [...edges].sort((a, b) => (order[a.properties.road_class] ?? 0) - (order[b.properties.road_class] ?? 0));
  for (const edge of sorted) {
    const d = edge.geometry.coordinates.map((c, i) => `${i ? "L" : "M"}${proj.project(c).map((v) => v.toFixed(1)).join(",")}`).join("");
    const path = svg("path", { d, class: `road road-${edge.properties.road_class || "other"}` });
    path.appendChild(svg("title", {}, edge.properties.name || ""));
    layer.appendChild(path);
  }
}

function drawRoadShields(layer, edges, proj) {
  // G1 a quarter of the way up the corridor, G102 two thirds: apart, and clear of the cities.
  const shields = [
    { roadClass: "expressway", text: "G1", cls: "shield-g", at: 0.3 },
    { roadClass: "national", text: "G102", cls: "shield-n", at: 0.62 },
  ];
  for (const { roadClass, text, cls, at } of shields) {
    const middles = edges
      .filter((e) => e.properties.road_class === roadClass && (e.properties.length_m || 0) > 5000)
      .map((e) => {
        const coords = e.geometry.coordinates;
        const [ax, ay] = proj.project(coords[0]);
        const [bx, by] = proj.project(coords[coords.length - 1]);
        return [(ax + bx) / 2, (ay + by) / 2];
      });
    if (!middles.length) continue;
    const [x, y] = middles.reduce((best, m) => (Math.abs(m[0] / WIDTH - at) < Math.abs(best[0] / WIDTH - at) ? m : best));
    const w = 8 + text.length * 7;
    const group = svg("g", { class: `shield ${cls}` });
    group.appendChild(svg("rect", { x: x - w / 2, y: y - 8, width: w, height: 16, rx: 3 }));
    group.appendChild(svg("text", { x, y: y + 4, "text-anchor": "middle" }, text));
    layer.appendChild(group);
  }
}

function drawScale(root, proj) {
  const km10 = (10 / 111.2) * proj.scale; // 10 km in SVG units (latitude degrees are ~111.2 km)
  const [x, y] = [WIDTH - PAD - km10 - 40, proj.height - 12];
  const group = svg("g", { class: "scale" });
  group.appendChild(svg("path", { d: `M${x},${y - 5} V${y} H${x + km10} V${y - 5}` }));
  group.appendChild(svg("text", { x: x + km10 + 6, y: y + 1 }, "10 km"));
  const north = svg("g", { class: "north" });
  north.appendChild(svg("path", { d: `M${PAD - 12},${PAD - 22} l6,16 l-6,-4 l-6,4 Z` }));
  north.appendChild(svg("text", { x: PAD - 12, y: PAD + 6, "text-anchor": "middle" }, "N"));
  root.appendChild(group);
  root.appendChild(north);
}

function nodeMark(kind, x, y) {
  switch (kind) {
    case "depot":
      return svg("rect", { x: x - 7, y: y - 7, width: 14, height: 14, class: "node node-depot" });
    case "service_area":
      return svg("rect", { x: x - 5, y: y - 5, width: 10, height: 10, rx: 5, class: "node node-service_area" });
    case "interchange":
    case "section_end":
      return svg("circle", { cx: x, cy: y, r: 4.5, class: "node node-interchange" });
    case "town":
      return svg("circle", { cx: x, cy: y, r: 3, class: "node node-town" });
    case "stop":
      return svg("circle", { cx: x, cy: y, r: 2.2, class: "node node-stop" });
    case "junction":
      return svg("circle", { cx: x, cy: y, r: 2, class: "node node-junction" });
    default:
      return null; // carriageway and parking points sit on top of their interchange
  }
}

function nodeLabel(feature, x, y, lang) {
  const { kind, km } = feature.properties;
  const text = shortName(feature, lang) + (km !== undefined && kind !== "depot" ? ` K${Math.round(km)}` : "");
  const width = estimateWidth(text, kind === "depot" ? 8 : 6.4);
  const cls = `label label-${kind} halo`;
  if (kind === "depot") {
    // Depots get their label centred above: interchanges crowd their sides near the cities.
    const cx = Math.min(Math.max(x, width / 2 + 4), WIDTH - width / 2 - 4);
    return svg("text", { x: cx, y: y - 12, "text-anchor": "middle", class: cls }, text);
  }
  // Towns lie west of G1 and interchanges on it: town labels to the left, the rest to the right,
  // flipped where the label would leave the map.
  let left = kind === "town";
  if (left && x - 8 - width < 4) left = false;
  if (!left && x + 9 + width > WIDTH - 4) left = true;
  return svg("text", { x: left ? x - 8 : x + 9, y: y + 4, "text-anchor": left ? "end" : "start", class: cls }, text);
}

/** Rough label width in SVG units: CJK glyphs are about twice as wide as Latin ones. */
function estimateWidth(text, latinWidth) {
  let width = 0;
  for (const char of text) width += char.charCodeAt(0) > 0x2e80 ? latinWidth * 1.8 : latinWidth;
  return width;
}

function coachBlock(depot, feature, vehicles, proj, label, lang) {
  const [x, y] = proj.project(feature.geometry.coordinates);
  const perRow = 7;
  const [w, h, gap] = [18, 11, 3];
  const rows = Math.ceil(vehicles.length / perRow);
  const blockW = perRow * (w + gap) - gap;
  const blockH = rows * (h + gap) + 16;
  // The corridor runs SW–NE, so the SE and NW corners are empty: a southern depot's block goes to
  // its east, a northern one's to its west, joined by a leader line.
  const south = y > proj.height / 2;
  const bx = Math.min(Math.max(south ? x + 150 : x - 120 - blockW, 6), WIDTH - blockW - 6);
  const by = Math.min(Math.max(south ? y - blockH / 2 + 6 : y - blockH - 24, 6), proj.height - blockH - 6);
  const group = svg("g", { class: "coaches", "data-depot": depot });
  const [lx, ly] = [south ? bx - 5 : bx + blockW + 5, by + blockH / 2];
  group.appendChild(svg("path", { d: `M${x},${y} L${lx},${ly}`, class: "coach-leader" }));
  group.appendChild(svg("rect", { x: bx - 5, y: by - 4, width: blockW + 10, height: blockH + 6, rx: 3, class: "coach-panel" }));
  group.appendChild(svg("text", { x: bx, y: by + 8, class: "coach-caption" },
    `${shortName(feature, lang)} · ${vehicles.length}`));
  vehicles.forEach((vehicle, i) => {
    const cx = bx + (i % perRow) * (w + gap);
    const cy = by + 14 + Math.floor(i / perRow) * (h + gap);
    const state = vehicle.booked_by ? "booked" : vehicle.status;
    const cell = svg("g", { class: `coach coach-${state}`, "data-vehicle": vehicle.id });
    cell.appendChild(svg("rect", { x: cx, y: cy, width: w, height: h, rx: 1.5 }));
    cell.appendChild(svg("text", { x: cx + w / 2, y: cy + 8.3, "text-anchor": "middle" }, vehicle.id.replace(/^c/, "")));
    const booked = vehicle.booked_by ? ` · #${vehicle.booked_by}` : "";
    cell.appendChild(svg("title", {}, `${vehicle.id} ${vehicle.plate} · ${vehicle.seats} · ${label(`vstatus.${vehicle.status}`)}${booked}`));
    group.appendChild(cell);
  });
  return group;
}
