import 'reflect-metadata';
import { runService } from '@am/runtime';
import { startIdentity } from './start';

runService('identity', () => startIdentity());
