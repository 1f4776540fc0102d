import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, IsString, validate } from 'class-validator';
import {
  CanonicalIdKeys,
  IsId,
  MultiLine,
  Nullable,
  Optional,
  QueryList,
  SingleLine,
} from './field-decorators';
import { flattenValidationErrors } from './validation';

class Sample {
  @Optional()
  @IsString()
  @SingleLine()
  name?: string;

  @Nullable()
  @IsString()
  @MultiLine()
  note?: string | null;

  @Optional()
  @IsId()
  id?: string;

  @Optional()
  @QueryList()
  @IsString({ each: true })
  status?: string[];

  @Optional()
  @CanonicalIdKeys()
  items?: Record<string, number>;
}

async function check(plain: object) {
  const instance = plainToInstance(Sample, plain);
  return { instance, errors: flattenValidationErrors(await validate(instance)) };
}

describe('field decorators', () => {
  it('Optional: absent is fine, null is one 400 "must not be null"', async () => {
    expect((await check({})).errors).toEqual([]);
    expect((await check({ name: null })).errors).toEqual([
      { field: 'name', message: 'name must not be null' },
    ]);
  });

  it('Nullable: absent and null are fine, other values are validated', async () => {
    expect((await check({ note: null })).errors).toEqual([]);
    expect((await check({ note: 3 })).errors.map((e) => e.field)).toEqual(['note']);
  });

  it.each(['a\tb', 'a\nb', 'a\rb', 'a\u0007b', 'a\u007fb', 'a\u0085b', 'a\u2028b'])(
    'SingleLine refuses %j',
    async (name) => {
      expect((await check({ name })).errors).toEqual([
        { field: 'name', message: expect.stringContaining('must be a single line') },
      ]);
    },
  );

  it('SingleLine takes any other text', async () => {
    expect((await check({ name: 'Zoë O’Brien — 😀 ✓' })).errors).toEqual([]);
  });

  it('MultiLine keeps tab and line breaks, refuses other control characters', async () => {
    expect((await check({ note: 'one\r\ntwo\n\tthree' })).errors).toEqual([]);
    expect((await check({ note: 'bell\u0007' })).errors).toEqual([
      { field: 'note', message: expect.stringContaining('control characters') },
    ]);
  });

  it('IsId takes any case and hands on lowercase; non-UUIDs are refused', async () => {
    const upper = '3F1C2B7E-8D7A-4C59-9A43-0B6F5D2E8C11';
    const { instance, errors } = await check({ id: upper });
    expect(errors).toEqual([]);
    expect(instance.id).toBe(upper.toLowerCase());
    expect((await check({ id: 'nope' })).errors.map((e) => e.field)).toEqual(['id']);
    expect((await check({ id: 42 })).errors.map((e) => e.field)).toEqual(['id']);
  });

  it('QueryList reads repeated and comma-separated values alike', async () => {
    expect((await check({ status: 'a,b' })).instance.status).toEqual(['a', 'b']);
    expect((await check({ status: ['a', 'b,c'] })).instance.status).toEqual(['a', 'b', 'c']);
    expect((await check({ status: 'a' })).instance.status).toEqual(['a']);
  });

  it('CanonicalIdKeys lowercases keys, unless two keys differ only in case', async () => {
    expect((await check({ items: { ABC: 1, def: 2 } })).instance.items).toEqual({ abc: 1, def: 2 });
    expect((await check({ items: { ABC: 1, abc: 2 } })).instance.items).toEqual({ ABC: 1, abc: 2 });
  });
});

/** Every request DTO of the application (src/<module>/dto/*.dto.ts), as exported classes. */
function requestDtoClasses(): Array<{ name: string; target: new () => object }> {
  const root = join(__dirname, '..');
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((module) => {
      const dir = join(root, module.name, 'dto');
      let files: string[] = [];
      try {
        files = readdirSync(dir).filter((file) => file.endsWith('.dto.ts'));
      } catch {
        return [];
      }
      return files.flatMap((file) =>
        Object.entries(require(join(dir, file)) as Record<string, unknown>)
          .filter((entry): entry is [string, new () => object] => typeof entry[1] === 'function')
          .map(([name, target]) => ({ name: `${module.name}/${file}#${name}`, target })),
      );
    });
}

describe('every request DTO', () => {
  const storage = getMetadataStorage();
  const rulesOf = (target: new () => object) => {
    const byProperty = new Map<string, Set<string>>();
    for (const metadata of storage.getTargetValidationMetadatas(target, '', true, false)) {
      const names = byProperty.get(metadata.propertyName) ?? new Set<string>();
      names.add(metadata.name ?? metadata.type);
      byProperty.set(metadata.propertyName, names);
    }
    return byProperty;
  };

  it('says of each text field whether it is single-line or multi-line', () => {
    const classes = requestDtoClasses();
    expect(classes.length).toBeGreaterThan(20);
    const unruled: string[] = [];
    let textFields = 0;
    for (const { name, target } of classes) {
      for (const [property, rules] of rulesOf(target)) {
        if (!rules.has('isString') && !rules.has('isEmail')) continue;
        textFields += 1;
        if (!rules.has('isSingleLine') && !rules.has('isMultiLine')) unruled.push(`${name}.${property}`);
      }
    }
    expect(textFields).toBeGreaterThan(30);
    expect(unruled).toEqual([]);
  });
});
