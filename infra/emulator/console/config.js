// Deployment settings of the console, read before the app starts. A static
// deployment replaces this one file; the build stays the same.
//   apiBase: where the API is ('' = the same origin as the console)
//   local:   true = the local emulator (role picker, payment simulator);
//            false = production (paste the identity provider's token);
//            null = find out by asking the emulator's /_local/clock
window.cloudmarketConfig = { apiBase: '', local: null }
