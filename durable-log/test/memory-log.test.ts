import { createMemoryLog } from '../src/index.js';
import { durableLogContract } from './contract.js';

durableLogContract('memory log', (opts) => createMemoryLog(opts));
