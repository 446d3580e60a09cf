import 'reflect-metadata';
import { runService } from '@am/runtime';
import { startPolicy } from './start';

runService('policy', () => startPolicy());
