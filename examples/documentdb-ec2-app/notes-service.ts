/**
 * The application logic both versions share: a tiny notes service over one collection.
 * Only how the collection is obtained differs between before/ and after/.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Collection } from 'mongodb';

export interface Note {
  _id: string;
  text: string;
  createdAt: Date;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

/** POST /notes {"id","text"} stores a note (the id makes a retried request harmless); GET /notes lists the latest 20. */
export function notesService(notes: Collection<Note>): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handle = async (): Promise<void> => {
      if (path !== '/notes') return send(res, 404, { error: 'not found' });
      if (req.method === 'GET') {
        return send(res, 200, await notes.find({}).sort({ createdAt: -1 }).limit(20).toArray());
      }
      if (req.method === 'POST') {
        const { id, text } = JSON.parse(await readBody(req)) as { id?: unknown; text?: unknown };
        if (typeof id !== 'string' || typeof text !== 'string') return send(res, 400, { error: 'id and text must be strings' });
        await notes.insertOne({ _id: id, text, createdAt: new Date() });
        return send(res, 201, { id });
      }
      return send(res, 405, { error: 'method not allowed' });
    };
    handle().catch((err: unknown) => {
      const e = err as { name?: string; code?: unknown; message?: string };
      console.log(`request failed: ${e.name ?? 'Error'} ${String(e.code ?? '')} ${e.message ?? ''}`);
      send(res, 503, { error: 'database unavailable' });
    });
  });
}
