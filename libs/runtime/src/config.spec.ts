import { commonSettings, ConfigError, describeSettings, duration, loadConfig, port, setting } from './config';

const settings = {
  ...commonSettings,
  AM_GATEWAY_PORT: setting(port, 'gateway port', { default: '8080', aliases: ['AM_GatewayPort'] }),
  AM_READY_TIMEOUT: setting(duration, 'timeout', { default: '1s' }),
};

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(settings, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(settings, {});
    expect(c).toMatchObject({
      AM_GATEWAY_PORT: 8080,
      AM_METRICS_PORT: 2114,
      AM_ETCD_URLS: ['http://127.0.0.1:2379'],
      AM_NATS_URL: ['nats://127.0.0.1:4222'],
      AM_LOG_LEVEL: 'info',
      AM_ETCD_PREFIX: '/am/',
      AM_READY_TIMEOUT: 1000,
    });
  });

  it("accepts the reference implementation's variable names as aliases", () => {
    const c = loadConfig(settings, {
      AM_GatewayPort: '9090',
      AM_MetricServerPort: '9091',
      AM_MetadataUrls: 'http://10.0.0.1:2379,http://10.0.0.2:2379',
      LOG_LEVEL: 'debug',
    });
    expect(c.AM_GATEWAY_PORT).toBe(9090);
    expect(c.AM_METRICS_PORT).toBe(9091);
    expect(c.AM_ETCD_URLS).toEqual(['http://10.0.0.1:2379', 'http://10.0.0.2:2379']);
    expect(c.AM_LOG_LEVEL).toBe('debug');
  });

  it.each([
    [{ AM_GATEWAY_PORT: 'eighty' }, 'AM_GATEWAY_PORT', /port number/],
    [{ AM_GATEWAY_PORT: '70000' }, 'AM_GATEWAY_PORT', /port number/],
    [{ AM_GatewayPort: '-1' }, 'AM_GatewayPort', /port number/],
    [{ AM_ETCD_URLS: 'localhost:2379' }, 'AM_ETCD_URLS', /http\/https:\/\/host:port/],
    [{ AM_NATS_URL: 'http://127.0.0.1:4222' }, 'AM_NATS_URL', /nats:\/\/host:port/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /must be one of/],
    [{ AM_READY_TIMEOUT: '10' }, 'AM_READY_TIMEOUT', /duration/],
    [{ AM_ETCD_PREFIX: 'am' }, 'AM_ETCD_PREFIX', /start and end with/],
  ])('refuses %j with one line naming %s', (env, variable, why) => {
    const err = errorOf(env as Record<string, string>);
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(why);
    expect(err.message).toContain(variable);
    expect(err.message).not.toContain('\n');
  });

  it('refuses a canonical name and an alias that disagree', () => {
    const err = errorOf({ AM_GATEWAY_PORT: '1', AM_GatewayPort: '2' });
    expect(err.message).toBe('invalid configuration: AM_GATEWAY_PORT and AM_GatewayPort are both set and disagree; set only AM_GATEWAY_PORT');
  });

  it('describes every setting with its alias and default', () => {
    expect(describeSettings(settings)).toContain('AM_GATEWAY_PORT (alias AM_GatewayPort): gateway port [default 8080]');
  });
});
