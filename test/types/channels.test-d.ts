import { describe, expectTypeOf, it } from 'vitest';
import { CHANNELS, type AuthRecoveryEvent, type CacheMessage, type ChannelName, type LoginEvent, type LoginMessage, type RecoveryMessage, type SchedulerMessage } from '../../src/index.js';
import type { ClientSwitchEvent } from '../../src/documentdb/events.js';
import type { DocumentDbClientMessage } from '../../src/index.js';
import type { SchedulerEvent } from '../../src/rotation/index.js';
import { METRIC_NAMES, instrumentCredstage, type CredstageInstrumentation } from '../../src/opentelemetry/index.js';

describe('CHANNELS and the channel message types', () => {
  it('names each channel with a literal type', () => {
    expectTypeOf(CHANNELS.secretsManagerCall).toEqualTypeOf<'credstage:secrets-manager:call'>();
    expectTypeOf(CHANNELS.rotationStep).toEqualTypeOf<'credstage:rotation:step'>();
    expectTypeOf<ChannelName>().toEqualTypeOf<
      | 'credstage:cache'
      | 'credstage:secrets-manager:call'
      | 'credstage:login'
      | 'credstage:recovery'
      | 'credstage:documentdb:client'
      | 'credstage:rotation:step'
      | 'credstage:scheduler'
    >();
  });

  it('keep the messages in step with the onEvent events they are published beside', () => {
    // A scheduler event is published as it is; a login with the client that made it; a switch renamed.
    expectTypeOf<SchedulerEvent>().toExtend<SchedulerMessage>();
    expectTypeOf<LoginEvent & { client: 'redshift' }>().toExtend<LoginMessage>();
    expectTypeOf<Omit<ClientSwitchEvent, 'type'> & { type: 'switch' }>().toExtend<DocumentDbClientMessage>();
    expectTypeOf<AuthRecoveryEvent['recoveredFrom']>().toExtend<NonNullable<RecoveryMessage['recoveredFrom']>>();
  });

  it('narrow a cache message by type; an error carries its code, not the error object', () => {
    const onMessage = (m: CacheMessage): void => {
      if (m.type === 'error') {
        expectTypeOf(m.errorCode).toEqualTypeOf<string>();
        expectTypeOf(m).not.toHaveProperty('error');
      }
      if (m.type === 'hit') expectTypeOf(m.versionId).toEqualTypeOf<string>();
    };
    expectTypeOf(onMessage).toBeFunction();
  });

  it('instrumentCredstage takes optional providers and returns a handle to stop', () => {
    expectTypeOf(instrumentCredstage).returns.toEqualTypeOf<CredstageInstrumentation>();
    expectTypeOf(instrumentCredstage).parameter(0).toEqualTypeOf<{ meterProvider?: import('@opentelemetry/api').MeterProvider; tracerProvider?: import('@opentelemetry/api').TracerProvider } | undefined>();
    expectTypeOf(METRIC_NAMES.secretsManagerCalls).toEqualTypeOf<'credstage.secretsmanager.calls'>();
  });
});
