// A training thread (see fit-pool.ts): takes head fits from each job it is sent until none are left.
import { parentPort } from 'node:worker_threads';
import { work, type FitJob } from './fit-pool.js';

parentPort?.on('message', (job: FitJob) => work(job));
