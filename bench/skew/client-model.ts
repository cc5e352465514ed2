/**
 * The testbed's client classes (clients.ts) in the report's terms (report/client-model.ts), so the
 * report is judged on the population it was told about, as an operator would describe theirs.
 */
import type { ClientClass, ClientModel } from '../../report/client-model.js';
import { DEFAULT_CLIENT_MODEL } from '../../report/client-model.js';
import {
  BROWSER_CONNECTION_MEAN_SECONDS,
  BROWSER_PIN_SECONDS,
  JAVA_PIN_SECONDS,
  LONG_CONNECTION_MEDIAN_SECONDS,
  LONG_CONNECTION_SIGMA,
  type ClientClassSpec,
} from './clients.js';

export function testbedClientModel(classes: readonly ClientClassSpec[], ratePerClient: number): ClientModel {
  const out: ClientClass[] = classes.map((c) => {
    switch (c.name) {
      case 'browser':
        return { name: c.name, share: c.share, pinSeconds: BROWSER_PIN_SECONDS, lagMedianSeconds: 0, lagSigma: 0, idleTimeoutSeconds: 300, connectionSeconds: BROWSER_CONNECTION_MEAN_SECONDS };
      case 'stub':
        return { name: c.name, share: c.share, pinSeconds: 0, lagMedianSeconds: 0, lagSigma: 0, idleTimeoutSeconds: 90, connectionSeconds: 0 };
      case 'java':
        return { name: c.name, share: c.share, pinSeconds: JAVA_PIN_SECONDS, lagMedianSeconds: 0, lagSigma: 0, idleTimeoutSeconds: 90, connectionSeconds: 0 };
      case 'long':
        return {
          name: c.name,
          share: c.share,
          pinSeconds: 0,
          lagMedianSeconds: 0,
          lagSigma: 0,
          idleTimeoutSeconds: Infinity,
          connectionSeconds: LONG_CONNECTION_MEDIAN_SECONDS,
          connectionSigma: LONG_CONNECTION_SIGMA,
        };
    }
  });
  return {
    ...DEFAULT_CLIENT_MODEL,
    classes: out,
    pinFrom: 'lookup',
    connectionLifetimeSeconds: BROWSER_CONNECTION_MEAN_SECONDS,
    requestRatePerClient: ratePerClient,
    firstAddressShare: 1,
  };
}
