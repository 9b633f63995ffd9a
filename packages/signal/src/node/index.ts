export { SignalServer, type SignalServerOptions } from './signal-server.ts';
export { TestClient, type TestClientOptions } from './test-client.ts';
