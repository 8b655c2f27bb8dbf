import { describe, expect, it } from 'vitest';
import { locateNearest, parseYamlDocument } from './yaml-document.js';

const text = `# comment
name: gw-1
devices:
  - id: meter-1
    points:
      - name: a
        type: float
      - name: b
  - id: meter-2
    tags: { zone: north }
`;

describe('parseYamlDocument', () => {
  it('returns the value and locates scalars, list items and keys of block collections', () => {
    const doc = parseYamlDocument(text, 'gw.yaml');
    expect(doc.problems).toEqual([]);
    expect(doc.value).toMatchObject({ name: 'gw-1', devices: [{ id: 'meter-1' }, { id: 'meter-2' }] });
    expect(doc.locate(['name'])).toEqual({ line: 2, column: 7 });
    expect(doc.locate(['devices', 0, 'points', 0, 'type'])).toEqual({ line: 7, column: 15 });
    // a block list under a key is reported at its key
    expect(doc.locate(['devices', 0, 'points'])).toEqual({ line: 5, column: 5 });
    expect(doc.locate(['devices', 1])).toEqual({ line: 9, column: 5 });
    // flow mappings are located at their opening brace
    expect(doc.locate(['devices', 1, 'tags'])).toEqual({ line: 10, column: 11 });
    expect(doc.locate(['devices', 1, 'tags'], { key: true })).toEqual({ line: 10, column: 5 });
  });

  it('returns undefined for paths that are not in the document, and locateNearest falls back', () => {
    const doc = parseYamlDocument(text, 'gw.yaml');
    expect(doc.locate(['devices', 0, 'points', 1, 'type'])).toBeUndefined();
    expect(doc.locate(['devices', 7])).toBeUndefined();
    expect(locateNearest(doc.locate, ['devices', 0, 'points', 1, 'type'])).toEqual({ line: 8, column: 9 });
  });

  it('reports one syntax error with its line and no value', () => {
    const doc = parseYamlDocument('a: 1\nb: c: d\ne: [1]\nf: g: h\n', 'bad.yaml');
    expect(doc.value).toBeUndefined();
    expect(doc.problems).toEqual([
      {
        file: 'bad.yaml',
        line: 2,
        column: 4,
        path: '',
        message: 'YAML syntax error: Nested mappings are not allowed in compact mappings',
      },
    ]);
  });

  it('points an unclosed bracket or quote at where it was opened, not where it was noticed', () => {
    const list = parseYamlDocument('a: 1\nb: [1, [2], 3\nc: 3\n', 'bad.yaml');
    expect(list.problems).toHaveLength(1);
    expect(list.problems[0]).toMatchObject({ line: 2, column: 4 });
    expect(list.problems[0]?.message).toMatch(/end with a \] \(the \[ here is not closed\)$/);
    const quote = parseYamlDocument('a: "open\nb: 2\n', 'bad.yaml');
    expect(quote.problems[0]).toMatchObject({ line: 1, column: 4 });
    expect(quote.problems[0]?.message).toMatch(/Missing closing "quote \(the " here is not closed\)$/);
  });

  it('rejects duplicate keys instead of silently keeping the last', () => {
    const doc = parseYamlDocument('id: a\nid: b\n', 'dup.yaml');
    expect(doc.value).toBeUndefined();
    expect(doc.problems[0]).toMatchObject({ line: 2, column: 1 });
    expect(doc.problems[0]?.message).toMatch(/unique/);
  });

  it('parses JSON with locations', () => {
    const doc = parseYamlDocument('{\n  "id": "x",\n  "points": [\n    {"name": 1}\n  ]\n}\n', 'p.json');
    expect(doc.value).toEqual({ id: 'x', points: [{ name: 1 }] });
    expect(doc.locate(['points', 0, 'name'])).toEqual({ line: 4, column: 14 });
  });

  it('refuses alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      bomb.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const doc = parseYamlDocument(`${bomb.join('\n')}\n`, 'bomb.yaml');
    expect(doc.value).toBeUndefined();
    expect(doc.problems[0]?.message).toMatch(/alias/i);
  });

  it('treats an empty document as null', () => {
    const doc = parseYamlDocument('# nothing\n', 'e.yaml');
    expect(doc.problems).toEqual([]);
    expect(doc.value).toBeNull();
  });
});
