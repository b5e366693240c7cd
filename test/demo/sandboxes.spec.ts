import assert from 'node:assert/strict';
import { demoEnabled, startDemoSandboxes } from '../../src/demo/sandboxes';

describe('demo mode', () => {
  it('is on outside production unless DEMO_SANDBOXES turns it off', () => {
    assert.equal(demoEnabled({}), true);
    assert.equal(demoEnabled({ NODE_ENV: 'production' }), false);
    assert.equal(demoEnabled({ NODE_ENV: 'production', DEMO_SANDBOXES: '1' }), true);
    assert.equal(demoEnabled({ DEMO_SANDBOXES: 'off' }), false);
  });

  it('points only unconfigured systems at the sandboxes: a real bot token never goes to the fake', async () => {
    const env: Record<string, string | undefined> = { SANDBOX_PORT_BASE: '0', TELEGRAM_BOT_TOKEN: '123456:real-token', LLM_URL: 'https://llm.example/v1' };
    const demo = await startDemoSandboxes(env);
    try {
      assert.equal(env.TELEGRAM_API_URL, undefined, 'real Telegram stays the default');
      assert.equal(env.TELEGRAM_BOT_TOKEN, '123456:real-token');
      assert.equal(env.SHOP_API_URL, `${demo.urls.shop}/rest/v1`);
      assert.equal(env.STT_URL, demo.urls.stt);
      assert.equal(env.LLM_URL, 'https://llm.example/v1');
      assert.equal(env.LLM_API_KEY, undefined, 'no sandbox key for a real LLM');
      const shop = await fetch(`${env.SHOP_API_URL}/catalog.product.list`);
      assert.equal(shop.status, 200);
    } finally {
      await demo.stop();
    }
  });
});
