// The test environment of every jest config: Node's, plus one step after a file's last afterAll.
// The Temporal runtime must be shut down only then: an afterAll in a setup file runs *before* the test
// file's own afterAll hooks (jest-circus keeps declaration order), so shutting the runtime down there
// pulled it from under the file's live workers and connections, and a jest worker could then not exit
// ("A worker process has failed to exit gracefully"). The setup file (sdk-runtime.ts) leaves the
// shutdown in `__shutdownTemporalRuntime`; jest-circus awaits this handler at run_finish.
const { TestEnvironment } = require('jest-environment-node');

class TemporalTestEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    if (event.name === 'run_finish') await this.global.__shutdownTemporalRuntime?.();
  }
}

module.exports = TemporalTestEnvironment;
