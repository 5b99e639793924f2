// lib_compare.js - does a minified library still work the same in node?
//
// usage: node lib_compare.js ORIGINAL MINIFIED
// Loads both (CommonJS, in fresh vm contexts; browser globals stubbed for the
// libraries that only read them at load time), then compares the exported
// names (two levels deep) and the results of a few calls chosen by library.
// Prints "ok NAME: N names, M calls", "skip NAME: reason" or "FAIL NAME: ..."
// and exits 1 on a failure.
'use strict';
const fs = require('fs');
const vm = require('vm');
const path = require('path');

// A stub that answers every property with another stub (callable, constructible).
function stub() {
	const f = function () { return stub(); };
	return new Proxy(f, {
		get: (t, k) => (k === Symbol.toPrimitive ? () => '' : k === 'length' ? 0 : stub()),
		construct: () => stub(),
		has: () => false,
	});
}

function load(file) {
	const module = {exports: {}};
	const doc = {documentElement: {style: {}}, createElement: () => ({style: {}}),
		addEventListener() {}, removeEventListener() {}};
	const win = {document: doc, navigator: {userAgent: 'node', platform: 'node'},
		addEventListener() {}, removeEventListener() {}, devicePixelRatio: 1, screen: {}};
	const ctx = {module, exports: module.exports, window: win, document: doc,
		navigator: win.navigator, console, setTimeout, clearTimeout, self: win};
	vm.createContext(ctx);
	vm.runInContext(fs.readFileSync(file, 'utf8'), ctx, {filename: file});
	return module.exports;
}

function names(o) {
	const out = [];
	for (const k of Object.keys(o).sort()) {
		out.push(k);
		const v = o[k];
		if (v && (typeof v === 'object' || typeof v === 'function'))
			for (const k2 of Object.keys(v).sort()) out.push(k + '.' + k2);
	}
	return out;
}

const probes = {
	lodash: (_) => [_.chunk([1, 2, 3, 4, 5], 2), _.camelCase('Foo Bar-baz'),
		_.template('hi <%= x %>!')({x: '<b>'}), _.sortBy([{a: 3}, {a: 1}], 'a'),
		_.merge({a: {b: 1}}, {a: {c: 2}}), _.isEqual({a: [1]}, {a: [1]}),
		_.escapeRegExp('a.b*c'), _.range(0, 10, 3), _.words('fred, barney, & pebbles')],
	leaflet: (L) => [L.latLng(50.5, 30.5).toString(), L.point(1, 2).add([3, 4]).toString(),
		L.Util.formatNum(1.23456, 2), L.latLngBounds([[1, 2], [3, 4]]).getCenter().toString(),
		L.CRS.EPSG3857.project(L.latLng(10, 20)).toString(), L.Util.template('{a}-{b}', {a: 1, b: 2})],
	xregexp: (X) => [Array.from(X.exec('2024-05', X('(?<y>\\d{4})-(?<m>\\d{2})'))), X.escape('a.b[c]'),
		X.replace('a-b', X('(?<l>\\w)-(?<r>\\w)'), '${r}${l}'), X.version],
};

const [orig, min] = process.argv.slice(2);
const name = path.basename(orig).split('_').pop().replace(/(-src)?\.js$/, '');
let a;
try {
	a = load(orig);
} catch (e) {
	console.log('skip ' + name + ': the original does not load in node (' + e.message.slice(0, 60) + ')');
	process.exit(0);
}
let b;
try {
	b = load(min);
} catch (e) {
	console.log('FAIL ' + name + ': the minified file does not load: ' + e.message);
	process.exit(1);
}
const na = JSON.stringify(names(a)), nb = JSON.stringify(names(b));
if (na !== nb) {
	console.log('FAIL ' + name + ': exported names differ');
	process.exit(1);
}
let calls = 0;
if (probes[name]) {
	const ra = JSON.stringify(probes[name](a)), rb = JSON.stringify(probes[name](b));
	if (ra !== rb) {
		console.log('FAIL ' + name + ': results differ: ' + ra + ' vs ' + rb);
		process.exit(1);
	}
	calls = probes[name](a).length;
}
console.log('ok ' + name + ': ' + names(a).length + ' exported names, ' + calls + ' calls agree');
