// The Vercel AI SDK's MCP client (@ai-sdk/mcp) as an MCP Events subscriber over Streamable HTTP: it lists the
// server's event types, subscribes by webhook (its own createMCPEventWebhook handler verifies the handshake and
// each delivery's Standard Webhooks signature), calls tools through the same client, and waits for the event
// its tool call caused. Prints one line: AI-SDK-EVENTS-REPORT {json}.
import http from 'node:http';
import { createMCPClient, experimental_createMCPEventWebhook as createMCPEventWebhook } from '@ai-sdk/mcp';

const { url, timeoutMs = 60000 } = JSON.parse(process.argv[2]);
const report = { events: [], statuses: [] };

const records = new Map(); // the client's private subscription store: key -> subscription (with its secret)
const store = {
  async get(key) { return records.get(key); },
  async getById(id) { return [...records.values()].find((s) => s.id === id); },
  async set(subscription) { records.set(subscription.key, structuredClone(subscription)); },
  async update(key, patch) { if (records.has(key)) records.set(key, { ...records.get(key), ...patch }); },
  async delete(key) { records.delete(key); },
};

let received;
const arrived = new Promise((resolve) => { received = resolve; });
const handler = createMCPEventWebhook({
  store,
  onEvent: async ({ subscription, event }) => {
    report.events.push({ subscription: subscription.id, eventId: event.eventId, name: event.name, data: event.data });
    if (event.data.to === 'disabled') received();
  },
  onError: (error) => { report.webhook_error = String(error); },
});

// Node's http server in front of the SDK's fetch-style handler (Request in, Response out).
const receiver = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const request = new Request(`http://127.0.0.1:${receiver.address().port}${req.url}`, {
    method: req.method, headers: req.headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
  });
  const response = await handler(request);
  report.statuses.push(response.status);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));

const client = await createMCPClient({ transport: { type: 'http', url }, experimental_events: { store } });
try {
  const listed = await client.experimental_events.list();
  report.event_types = listed.events.map((e) => e.name).sort();
  const subscribed = await client.experimental_events.subscribe({
    name: 'sim_card.status_changed',
    delivery: { mode: 'webhook', url: `http://127.0.0.1:${receiver.address().port}/mcp-events`,
                allowInsecureLocalhost: true },
  });
  report.subscription = subscribed.id;
  report.refresh_before = subscribed.refreshBefore;

  const tools = await client.tools();
  report.tools = Object.keys(tools).length;
  const call = { toolCallId: 'c1', messages: [] };
  const listedSims = await tools.list_sim_cards.execute({ status: ['enabled'], page_size: 1 }, call);
  const simId = listedSims.structuredContent.data[0].id;
  report.sim_card_id = simId;
  await new Promise((resolve) => setTimeout(resolve, 2500)); // the first poll learns the fleet
  const disabled = await tools.disable_sim_card.execute({ sim_card_id: simId }, { ...call, toolCallId: 'c2' });
  report.disable_is_error = Boolean(disabled.isError);

  const timer = setTimeout(() => received(), timeoutMs);
  await arrived;
  clearTimeout(timer);
  await client.experimental_events.unsubscribe({ id: subscribed.id });
  report.unsubscribed = records.size === 0;
} catch (error) {
  report.error = String(error?.stack ?? error);
} finally {
  await client.close();
  receiver.close();
}
console.log('AI-SDK-EVENTS-REPORT ' + JSON.stringify(report));
