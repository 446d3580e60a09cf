import 'reflect-metadata';
import { runService } from '@am/runtime';
import { startPki } from './start';

runService('pki', () => startPki());
