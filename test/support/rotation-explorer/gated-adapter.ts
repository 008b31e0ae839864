import type { DatabaseAdapter, DatabaseSession } from '../../../src/rotation/adapters/types.js';
import type { Controller } from './controller.js';

/**
 * A real adapter whose every call waits at a gate of run `run` (run -1: no gates). A session of a
 * run that dies is closed, as the server closes a dead process's connection: an open
 * transaction rolls back and its locks go.
 */
export function gatedAdapter(adapter: DatabaseAdapter, controller: Controller, run: number): DatabaseAdapter {
  if (run < 0) return adapter;
  const gate = (label: string): Promise<void> => controller.gate(run, label);
  return {
    maxUsernameBytes: adapter.maxUsernameBytes,
    canLogIn: async (secret) => {
      await gate(`db.canLogIn(${secret.username})`);
      return adapter.canLogIn(secret);
    },
    openSession: async (secret) => {
      await gate(`db.openSession(${secret.username})`);
      const session = await adapter.openSession(secret);
      controller.onCrash(run, () => void session.close());
      return gatedSession(session, gate);
    },
  };
}

function gatedSession(session: DatabaseSession, gate: (label: string) => Promise<void>): DatabaseSession {
  const gated: DatabaseSession = {
    setPassword: async (username, password) => {
      await gate(`db.setPassword(${username})`);
      return session.setPassword(username, password);
    },
    userExists: async (username) => {
      await gate(`db.userExists(${username})`);
      return session.userExists(username);
    },
    createUserLike: async (username, password, template) => {
      await gate(`db.createUserLike(${username})`);
      return session.createUserLike(username, password, template);
    },
    close: () => session.close(),
  };
  const { setPasswordIf, describeUser, isCloneOf } = session;
  if (isCloneOf !== undefined) {
    gated.isCloneOf = async (clone, base) => {
      await gate(`db.isCloneOf(${clone})`);
      return isCloneOf.call(session, clone, base);
    };
  }
  if (setPasswordIf !== undefined) {
    gated.setPasswordIf = async (username, password, confirm) => {
      await gate(`db.begin+alter(${username})`);
      return setPasswordIf.call(session, username, password, async () => {
        const keep = await confirm();
        await gate(keep ? `db.commit(${username})` : `db.rollback(${username})`);
        return keep;
      });
    };
  }
  if (describeUser !== undefined) {
    gated.describeUser = async (username) => {
      await gate(`db.describeUser(${username})`);
      return describeUser.call(session, username);
    };
  }
  return gated;
}
