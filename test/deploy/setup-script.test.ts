// deploy/temporal/setup.sh registers Troupe's search attributes in compose and in the cluster scripts;
// its default list must be the one the workflows upsert (clients/temporal.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../clients/temporal';
import { cliType } from '../../tools/local/dev-server';

const script = readFileSync(path.resolve(__dirname, '../../deploy/temporal/setup.sh'), 'utf8');

describe('deploy/temporal/setup.sh', () => {
  it("registers exactly the search attributes Troupe's workflows upsert", () => {
    const defaults = script.match(/TROUPE_SEARCH_ATTRIBUTES=\$\{TROUPE_SEARCH_ATTRIBUTES:-([^}]*)\}/)?.[1];
    expect(defaults?.split(' ').sort()).toEqual(
      SEARCH_ATTRIBUTES.map((key) => `${key.name}=${cliType(key.type)}`).sort(),
    );
  });

  it('is plain POSIX sh (the admin-tools image has no bash)', () => {
    expect(script.split('\n')[0]).toBe('#!/bin/sh');
    expect(script).not.toMatch(/\[\[|<<<|\$\{@:|^\s*local /m);
  });

  it('stops at the first failing step', () => {
    expect(script).toMatch(/^set -eu$/m);
  });
});
