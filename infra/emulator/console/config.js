// Deployment settings of the console, read before the app starts. A static
// deployment replaces this one file; the build stays the same.
//   apiBase: where the API is ('' = the same origin as the console)
//   local:   true = the local emulator (role picker, payment simulator);
//            false = production; null = find out by asking the emulator's
//            /_local/clock
//   oidc:    production sign-in through the identity provider (authorization
//            code with PKCE; a public client, no secret here), e.g.
//            { authorizeUrl: 'https://id.example.com/oauth2/authorize',
//              tokenUrl: 'https://id.example.com/oauth2/token',
//              clientId: 'cloudmarket-console', scope: 'openid',
//              tokenField: 'access_token' }
//            null = paste a token instead
window.cloudmarketConfig = { apiBase: '', local: null, oidc: null }
