// A real OAuth 2.1 / OpenID authorization server for the sign-in tests: oidc-provider with a small
// configuration. Argument: JSON {port, issuer, keys, resources_opaque}. Prints READY when listening.
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const ALL = 'iot:read iot:write iot:destructive iot:billable';
const secret = (name) => `${name}-secret-0123456789abcdef`;
const machine = (id, scope) => ({
  client_id: id, client_secret: secret(id), grant_types: ['client_credentials'], response_types: [],
  redirect_uris: [], scope,
});
const people = {  // who may be granted what: the authorization server's own policy
  reader: 'iot:read', operator: 'iot:read iot:write', lead: ALL,
};

const provider = new Provider(config.issuer, {
  clients: [
    machine('reader-bot', 'iot:read'),
    machine('lead-bot', ALL),
    machine('writer-bot', 'iot:read iot:write'),
    {  // an MCP client a person signs in with: public, authorization code with PKCE
      client_id: 'assistant', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'],
      response_types: ['code'], redirect_uris: ['http://127.0.0.1:9/callback'], scope: `openid ${ALL}`,
    },
    {  // the MCP server itself, to introspect opaque tokens
      client_id: 'iot-mcp', client_secret: secret('iot-mcp'), grant_types: [], response_types: [], redirect_uris: [],
    },
  ],
  jwks: { keys: config.keys },
  scopes: ['openid', ...ALL.split(' ')],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client, oneOf) => oneOf,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource, client) => {
        const account = ctx.oidc.session?.accountId ?? ctx.oidc.entities?.Grant?.accountId;
        return {
          scope: account ? (people[account] ?? 'iot:read') : ALL,
          audience: resource,
          accessTokenTTL: 600,
          accessTokenFormat: config.resources_opaque.includes(resource) ? 'opaque' : 'jwt',
        };
      },
    },
  },
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, email: `${id}@fleet.example`, name: id[0].toUpperCase() + id.slice(1) }),
  }),
  extraTokenClaims: (ctx, token) => (token.accountId
    ? { email: `${token.accountId}@fleet.example`, name: token.accountId[0].toUpperCase() + token.accountId.slice(1) }
    : undefined),
});
provider.proxy = false;
provider.listen(config.port, '127.0.0.1', () => console.log('READY'));
