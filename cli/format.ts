/** Plain-text tables and key/value blocks for the terminal. */

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '(none)\n';
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export function keyValues(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return `${pairs.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value}`).join('\n')}\n`;
}

/** `2026-01-02T03:04:05.678Z` → `2026-01-02 03:04:05Z`. */
export function time(iso: string | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A draft's or version's secrets: names and times, never values. */
export function secretsTable(secrets: readonly { name: string; updated_at: string }[]): string {
  return table(
    ['NAME', 'UPDATED'],
    secrets.map((secret) => [secret.name, time(secret.updated_at)]),
  );
}

export function dependenciesTable(dependencies: readonly { name: string; version: string }[]): string {
  return table(
    ['PACKAGE', 'VERSION'],
    dependencies.map((dep) => [dep.name, dep.version]),
  );
}

/** `a@1.0.0, b@2.1.3`, or `-`. */
export function dependencyList(dependencies: readonly { name: string; version: string }[]): string {
  return dependencies.map(({ name, version }) => `${name}@${version}`).join(', ') || '-';
}

/** `A, B`, or `-`. */
export function nameList(items: readonly { name: string }[]): string {
  return items.map(({ name }) => name).join(', ') || '-';
}

/** `12 version(s)`, and which page when there are several: `, page 2 of 3`. */
export function pageLine(body: { total: number; page?: number; per_page?: number }, noun: string): string {
  const pages = body.per_page ? Math.max(1, Math.ceil(body.total / body.per_page)) : 1;
  const page = (body.page ?? 0) + 1;
  return `${body.total} ${noun}(s)${pages > 1 || page > 1 ? `, page ${page} of ${pages}` : ''}`;
}

/** A draft: `head` rows, any `sections`, then its secrets (names only) and its dependencies. */
export function draftText(
  head: readonly (readonly [string, string])[],
  draft: {
    secrets: readonly { name: string; updated_at: string }[];
    dependencies: readonly { name: string; version: string }[];
  },
  sections: readonly string[] = [],
): string {
  return [
    keyValues(head),
    ...sections,
    'Secrets (values are never shown):',
    secretsTable(draft.secrets),
    'Dependencies:',
    dependenciesTable(draft.dependencies),
  ].join('\n');
}

/** One version in full: `head` rows, its id and time, `extra` rows, its secrets and dependencies, its code. */
export function versionText(
  head: readonly (readonly [string, string])[],
  version: {
    id: string;
    created_at: string;
    code: string;
    secrets: readonly { name: string }[];
    dependencies: readonly { name: string; version: string }[];
  },
  extra: readonly (readonly [string, string])[] = [],
): string {
  return [
    keyValues([
      ...head,
      ['Id', version.id],
      ['Created', time(version.created_at)],
      ...extra,
      ['Secrets', nameList(version.secrets)],
      ['Dependencies', dependencyList(version.dependencies)],
    ]),
    '--- code ---',
    version.code,
  ].join('\n');
}
