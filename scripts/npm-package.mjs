// Packs the built page (dist/) as the npm package `gossip-lab`: the embed
// loader, the JS glue, the wasm, the styles and the lessons, with a README.
// Usage: node scripts/npm-package.mjs [--dist DIR] [--out DIR]; prints the tarball's path.
// `make package` runs it after `make build`.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? path.resolve(process.argv[i + 1]) : fallback;
};
const dist = arg('--dist', path.join(root, 'dist'));
const out = arg('--out', path.join(root, 'target', 'npm'));

const cargo = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
const field = (k) => cargo.match(new RegExp(`^${k} = "([^"]*)"`, 'm'))?.[1];
const version = field('version');
const files = ['embed.js', 'gossip-lab.js', 'gossip-lab_bg.wasm', 'style.css', 'lessons'];
for (const f of files) {
  if (!fs.existsSync(path.join(dist, f))) {
    console.error(`${path.join(dist, f)} is missing: build the page first (make build)`);
    process.exit(2);
  }
}

const pkg = path.join(out, 'package');
fs.rmSync(pkg, { recursive: true, force: true });
fs.mkdirSync(pkg, { recursive: true });
for (const f of files) fs.cpSync(path.join(dist, f), path.join(pkg, f), { recursive: true });
fs.copyFileSync(path.join(root, 'scripts', 'npm-README.md'), path.join(pkg, 'README.md'));
const manifest = {
  name: 'gossip-lab',
  version,
  description: field('description'),
  license: field('license'),
  type: 'module',
  // The loader: importing it defines <gossip-lab> and window.GossipLab.
  main: './embed.js',
  exports: {
    '.': './embed.js',
    './embed.js': './embed.js',
    './gossip-lab.js': './gossip-lab.js',
    './gossip-lab_bg.wasm': './gossip-lab_bg.wasm',
    './style.css': './style.css',
    './lessons/*': './lessons/*',
    './package.json': './package.json',
  },
  files: [...files.map((f) => (f === 'lessons' ? 'lessons/' : f)), 'README.md'],
  sideEffects: ['./embed.js'],
  keywords: ['gossip', 'epidemic', 'simulation', 'distributed-systems', 'webassembly', 'custom-element', 'teaching'],
};
fs.writeFileSync(path.join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const packed = execFileSync('npm', ['pack', '--pack-destination', out, '--json'], { cwd: pkg, stdio: ['ignore', 'pipe', 'inherit'] });
console.log(path.join(out, JSON.parse(packed.toString())[0].filename));
