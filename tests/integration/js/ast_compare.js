// ast_compare.js - parse each original and its minified output with acorn
// (script or module as told) and compare the trees, ignoring positions and
// raw spellings (a directive's raw text included), with string literal
// concatenations ("a" + "b") folded in both trees, as the minifier folds them.
// One process for all files.
//
// usage: node ast_compare.js LISTFILE   (lines: ORIG<TAB>MINIFIED<TAB>script|module)
// prints one JSON object: {"ok":[...],"skip":{name:reason},"fail":{name:reason}}
'use strict';
const fs = require('fs');
const path = require('path');
const acorn = require(path.join(__dirname, '../../../tools/node/node_modules/acorn'));

const IGNORED = new Set(['start', 'end', 'loc', 'range', 'raw']);

function strip(node) {
	if (Array.isArray(node)) return node.map(strip);
	if (node === null || typeof node !== 'object') {
		if (typeof node === 'bigint') return 'bigint:' + node.toString();
		return node;
	}
	if (node instanceof RegExp) return 'regexp:' + String(node);
	// "a" + "b" is folded by the minifier: compare both trees with every
	// string + string literal pair folded the same way (bottom-up, so the
	// folded literal's value is checked against what acorn reads)
	if (node.type === 'BinaryExpression' && node.operator === '+') {
		const l = strip(node.left), r = strip(node.right);
		if (l.type === 'Literal' && r.type === 'Literal' && typeof l.value === 'string' &&
		    typeof r.value === 'string')
			return {type: 'Literal', value: l.value + r.value};
	}
	const out = {};
	for (const k of Object.keys(node)) {
		if (IGNORED.has(k)) continue;
		// a directive's raw text: its value is compared on the Literal, and
		// the minifier only changes quotes ('\'' becomes "'")
		if (k === 'directive') { out[k] = true; continue; }
		out[k] = strip(node[k]);
	}
	return out;
}

function parse(src, sourceType) {
	return acorn.parse(src, {ecmaVersion: 'latest', sourceType, allowHashBang: true});
}

const res = {ok: [], skip: {}, fail: {}};
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
for (const line of lines) {
	const [orig, min, goal] = line.split('\t');
	const name = path.basename(orig);
	let a, b;
	try {
		a = JSON.stringify(strip(parse(fs.readFileSync(orig, 'utf8'), goal)));
	} catch (e) {
		res.skip[name] = 'acorn rejects the original: ' + e.message;
		continue;
	}
	try {
		b = JSON.stringify(strip(parse(fs.readFileSync(min, 'utf8'), goal)));
	} catch (e) {
		res.fail[name] = 'acorn rejects the output: ' + e.message;
		continue;
	}
	if (a !== b) res.fail[name] = 'AST differs';
	else res.ok.push(name);
}
process.stdout.write(JSON.stringify(res));
