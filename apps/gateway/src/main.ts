import 'reflect-metadata';
import { runService } from '@am/runtime';
import { startGateway } from './start';

runService('gateway', () => startGateway());
