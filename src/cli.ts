#!/usr/bin/env node
/** The `blazerules` executable (package.json `bin`); the commands are in ./cli/. */
import { runCli } from './cli/main';

runCli();
