/**
 * Secret files for a container whose root filesystem is read-only. The Docker provider writes a
 * container's `uploads` through Docker's archive API at "/", and Docker refuses that on a read-only
 * root ("container rootfs is marked read-only"), whatever path the archive's files have. So the files
 * go into a named volume through a holder: a container that is created and never started, with a
 * writable root and the volume at the files' directory, receives the uploads (Docker writes through
 * its mounts into the volume); the service's container mounts the volume there read-only. Checked on
 * Docker 20.10: the files keep their mode and root ownership, a non-root user reads them, and
 * nothing in the service's container can write there.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { posix } from "path";
import { labelList } from "./labels";

export interface SecretFileUpload {
  /** Absolute path of the file in the container. */
  path: string;
  /** The file's content, exactly. */
  content: pulumi.Input<string>;
  /** Octal permission mode. @default "0444" */
  mode?: string;
}

/**
 * One file as the provider's upload, owned by root: the provider built here (5.1) refuses an upload's
 * owner and group ("Invalid or unknown key"), though the SDK's types have them.
 */
function upload(file: SecretFileUpload, content: string): docker.types.input.ContainerUpload {
  return { file: file.path, content, permissions: file.mode ?? "0444" };
}

/** The provider's `uploads`, one secret list (the SDK would send it so anyway once one content is). */
export function secretUploads(files: SecretFileUpload[]): pulumi.Output<docker.types.input.ContainerUpload[]> {
  return pulumi.secret(fileUploads(files));
}

/**
 * The provider's `uploads` for files that are not secret (configs), plain in the state; with
 * secret files too, everything is one secret list (secretUploads), as the provider keeps one list.
 */
export function fileUploads(files: SecretFileUpload[]): pulumi.Output<docker.types.input.ContainerUpload[]> {
  return pulumi.all(files.map((file) => pulumi.output(file.content).apply((content) => upload(file, content))));
}

/** The one directory every file is in, or undefined when they are in several (or in /). */
export function secretFilesDirectory(files: Array<{ path: string }>): string | undefined {
  const directories = new Set(files.map((file) => posix.dirname(file.path)));
  const [directory] = [...directories];
  return directories.size === 1 && directory !== "/" ? directory : undefined;
}

export interface SecretHolderArgs {
  /** The service container's name; the holder container and the volume are "<name>-secrets". */
  containerName: string;
  /** An image the holder is created from: the service's own, already there (the holder never runs). */
  image: pulumi.Input<string>;
  /** The files, all in one directory (secretFilesDirectory). */
  files: SecretFileUpload[];
  /** Whether any file is secret: then the uploads are one secret list. @default true */
  secret?: boolean;
  /** Labels of the volume and the holder, besides dockyard.secrets-of. @default {} */
  labels?: Record<string, string>;
}

/** What the service's container mounts and follows. */
export interface SecretHolder {
  /** The directory the volume is mounted at, read-only. */
  directory: string;
  volumeName: pulumi.Output<string>;
  /** Changes when the holder is replaced (new contents): the service's container follows it. */
  holderId: pulumi.Output<string>;
}

/** The volume and the never-started container that fills it, as children of `parent`. */
export function secretHolder(name: string, args: SecretHolderArgs, parent: pulumi.Resource): SecretHolder {
  const directory = secretFilesDirectory(args.files);
  if (directory === undefined) throw new Error(`secretHolder "${name}": the files must be in one directory other than /`);
  const physical = `${args.containerName}-secrets`;
  const labels = labelList({ ...args.labels, "dockyard.secrets-of": args.containerName });
  // Fixed names: a replacement must remove the old one first.
  const volume = new docker.Volume(`${name}-secrets`, { name: physical, driver: "local", labels }, { parent, deleteBeforeReplace: true });
  const holder = new docker.Container(
    `${name}-secrets`,
    {
      name: physical,
      image: args.image,
      uploads: args.secret === false ? fileUploads(args.files) : secretUploads(args.files),
      volumes: [{ volumeName: volume.name, containerPath: directory, readOnly: false }],
      labels,
      // Created, never started: it only receives the uploads. must_run would re-create it on every refresh.
      start: false,
      mustRun: false,
      restart: "no",
      // It never runs, but it is confined as a running container would be, so that no policy or
      // scanner has to make an exception for it: no capabilities, no privilege gain, nobody's
      // user, small limits (cpus 0.1, not 0.01: the provider reads 0.01 back as "0.0", a diff on
      // every up). Uploads are written by the engine, not by it.
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      user: "65534:65534",
      cpus: "0.1",
      memory: 6,
      memorySwap: 6,
    },
    { parent, deleteBeforeReplace: true },
  );
  return { directory, volumeName: volume.name, holderId: holder.id };
}
