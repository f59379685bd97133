import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';

const DOCS = new URL('../../docs/', import.meta.url).pathname;

/** The guides this suite keeps honest: every relative link must reach a file, and its #anchor a heading. */
const GUIDES = [
  'getting-started.md',
  'concepts.md',
  'operations.md',
  'migrating-from-v0.3.md',
  'cli.md',
  'api.md',
];

/** GitHub's heading anchors: lower case, punctuation dropped (but - and _), spaces to hyphens. Pure. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (m) out.add(anchorOf(m[1]!));
  }
  return out;
}

function links(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
}

describe('documentation links', () => {
  it('computes anchors as GitHub does', () => {
    assert.equal(anchorOf('`blox instances` and `blox tasks`'), 'blox-instances-and-blox-tasks');
    assert.equal(anchorOf('Compatibility with Blox v0.3'), 'compatibility-with-blox-v03');
    assert.equal(anchorOf('Retention (`src/state/retention/`)'), 'retention-srcstateretention');
    assert.equal(anchorOf('GET /v1/tasks/{cluster}/{*}'), 'get-v1taskscluster');
  });

  for (const guide of GUIDES) {
    it(`${guide}: every relative link reaches an existing file and heading`, () => {
      const text = readFileSync(join(DOCS, guide), 'utf8');
      for (const link of links(text)) {
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path === '' ? join(DOCS, guide) : join(dirname(join(DOCS, guide)), path);
        assert.ok(existsSync(target), `${guide} links to ${link}, which does not exist`);
        if (anchor && target.endsWith('.md'))
          assert.ok(
            anchors(readFileSync(target, 'utf8')).has(anchor),
            `${guide} links to ${link}: no such heading`,
          );
      }
    });
  }
});
