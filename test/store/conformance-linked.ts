import { describe, expect, it } from 'vitest';
import { sleep, type StoreContext } from './helpers.js';

const TO_USER = { collection: 'users', field: 'owner' };

/** `getLinked`: a record and the record it names, each as `get` gives it. */
export function linkedRecordTests(ctx: StoreContext): void {
  describe('a record with the record it names', () => {
    it('reads both when both are there', async () => {
      const store = ctx.store();
      await store.put('users', 'acme/ada', { name: 'Ada' });
      await store.put('users', 'acme/ada', { name: 'Ada L.' });
      await store.put('creds', 'h1', { kind: 'token', owner: 'acme/ada' });
      const read = await store.getLinked('creds', 'h1', TO_USER);
      expect(read).toEqual({ record: await store.get('creds', 'h1'), linked: await store.get('users', 'acme/ada') });
      expect(read.linked).toEqual({ value: { name: 'Ada L.' }, version: 2 });
    });

    it('reads neither when the first record is missing', async () => {
      const store = ctx.store();
      await store.put('users', 'acme/ada', { name: 'Ada' });
      const read = await store.getLinked('creds', 'nope', TO_USER);
      expect(read.record).toBeUndefined();
      expect(read.linked).toBeUndefined();
    });

    it('follows only a string in an own field of an object value', async () => {
      const store = ctx.store();
      // Each of these would name a user, were anything but a string field of an object followed.
      for (const id of ['acme/ada', '7', 'null', 'a']) await store.put('users', id, { name: id });
      const cases: Array<[value: unknown, field: string]> = [
        [{ kind: 'token' }, 'owner'],
        [{ owner: 7 }, 'owner'],
        [{ owner: null }, 'owner'],
        [{ owner: { id: 'acme/ada' } }, 'owner'],
        [{ owner: ['acme/ada'] }, 'owner'],
        [['acme/ada'], '0'],
        ['acme/ada', '0'],
      ];
      for (const [n, [value, field]] of cases.entries()) {
        await store.put('creds', `c${n}`, value);
        const read = await store.getLinked('creds', `c${n}`, { collection: 'users', field });
        expect({ value, read }).toEqual({ value, read: { record: { value, version: 1 } } });
        expect(read.linked).toBeUndefined();
      }
    });

    it('reads the first alone when the record it names is missing, or in another collection', async () => {
      const store = ctx.store();
      await store.put('admins', 'acme/ada', { name: 'Ada' });
      await store.put('creds', 'h1', { owner: 'acme/ada' });
      const read = await store.getLinked('creds', 'h1', TO_USER);
      expect(read.record).toEqual({ value: { owner: 'acme/ada' }, version: 1 });
      expect(read.linked).toBeUndefined();
    });

    it('follows ids with the characters keys are made of', async () => {
      const store = ctx.store();
      for (const id of ['a/b', 'a:b', '{tag}', 'ü 😀', '']) {
        await store.put('users', id, { id });
        await store.put('creds', `to ${id}`, { owner: id });
        expect((await store.getLinked('creds', `to ${id}`, TO_USER)).linked).toEqual({ value: { id }, version: 1 });
      }
    });

    it('reads an expired record as absent, on either side of the link', async () => {
      const store = ctx.store();
      await store.put('users', 'lasting', { name: 'Ada' });
      await store.put('users', 'fleeting', { name: 'Bob' }, { ttlSeconds: 1 });
      await store.put('creds', 'expiring', { owner: 'lasting' }, { ttlSeconds: 1 });
      await store.put('creds', 'to-expiring', { owner: 'fleeting' });
      expect((await store.getLinked('creds', 'expiring', TO_USER)).linked?.value).toEqual({ name: 'Ada' });
      expect((await store.getLinked('creds', 'to-expiring', TO_USER)).linked?.value).toEqual({ name: 'Bob' });
      await sleep(1_200);
      expect(await store.getLinked('creds', 'expiring', TO_USER)).toEqual({});
      const toExpired = await store.getLinked('creds', 'to-expiring', TO_USER);
      expect(toExpired.record?.value).toEqual({ owner: 'fleeting' });
      expect(toExpired.linked).toBeUndefined();
    });
  });
}
