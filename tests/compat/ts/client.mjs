// The official TypeScript SDK client (what Claude Desktop, VS Code and Cursor build on), with its defaults:
// 60 s request timeout, output schema checks. Usage: node client.mjs '{"transport": "stdio"|"http", ...}'
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const config = JSON.parse(process.argv[2]);
const report = {};

async function connect(capabilities) {
  const client = new Client({ name: "compat", version: "1" }, { capabilities });
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      report.elicited = (report.elicited || 0) + 1;
      const content = {};
      for (const [key, prop] of Object.entries(request.params.requestedSchema.properties)) {
        content[key] = prop.type === "boolean" ? true : prop.description.split("Type exactly: ")[1];
      }
      return { action: "accept", content };
    });
  }
  const transport = config.transport === "http"
    ? new StreamableHTTPClientTransport(new URL(config.url))
    : new StdioClientTransport({ command: config.command[0], args: config.command.slice(1), env: config.env });
  await client.connect(transport);
  return client;
}

const text = (result) => result.content.map((c) => c.text).join("");
const dynamic = config.dynamic;
const call = (client, name, args) => dynamic
  ? client.callTool({ name: "call_operation", arguments: { operation: name, arguments: args } })
  : client.callTool({ name, arguments: args });

// A client with no elicitation, then one that declared URL mode only: both must get the token path.
for (const [label, capabilities] of [["none", {}], ["url_only", { elicitation: { url: {} } }]]) {
  const client = await connect(capabilities);
  const tools = (await client.listTools()).tools;
  report.tools = tools.length;
  const listed = await call(client, "list_sim_cards", { page_size: 10 });  // checked against its output schema
  const sims = JSON.parse(text(listed)).data.filter((s) => s.status.value === "enabled");
  const sim = sims[0].id;  // over HTTP one server keeps the state: an earlier client disabled its SIM
  const got = await call(client, "get_sim_card", { sim_card_id: sim });
  report.get = JSON.parse(text(got)).data.id === sim;
  const asked = await call(client, "disable_sim_card", { sim_card_id: sim });
  report[`${label}_asked_is_error`] = Boolean(asked.isError);
  const token = /confirmation_token="([^"]+)"/.exec(text(asked));
  report[`${label}_token`] = Boolean(token);
  if (token) {
    const done = await call(client, "disable_sim_card", { sim_card_id: sim, confirmation_token: token[1] });
    report[`${label}_gated`] = !done.isError && JSON.parse(text(done)).data.action_type === "disable";
  }
  await client.close();
}

// A client that declared form elicitation is asked, and the call runs on its yes.
{
  const client = await connect({ elicitation: { form: {} } });
  await client.listTools();
  const sims = JSON.parse(text(await call(client, "list_sim_cards", { page_size: 10 }))).data
    .filter((s) => s.status.value === "enabled");
  const done = await call(client, "disable_sim_card", { sim_card_id: sims[0].id });
  report.form_gated = !done.isError && JSON.parse(text(done)).data.action_type === "disable";
  await client.close();
}
console.log("COMPAT-REPORT " + JSON.stringify(report));
