// Docker's config.json, read for the OCI client: $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json (the file `docker login` writes and an imagePullSecret's
// .dockerconfigjson holds). A missing file means anonymous access; an unreadable or malformed one
// is an error naming the file.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseDockerConfig, type DockerConfig } from "../oci/auth.ts";

function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, "config.json") : join(homedir(), ".docker", "config.json");
}

export async function loadDockerConfig(env: NodeJS.ProcessEnv = process.env): Promise<{ path: string; config: DockerConfig | undefined }> {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { path, config: undefined };
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { path, config: parseDockerConfig(text, path) };
}
