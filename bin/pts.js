#!/usr/bin/env node
// Launcher for the `pts` command: registers the TypeScript loader, then runs bin/pts.ts.
import { register } from "tsx/esm/api";

register();
await import("./pts.ts");
