import {
  cpusToDocker,
  dockerCpusReadBack,
  dockerKeepsCpus,
  cpusToQuantity,
  memoryToDockerMiB,
  memoryToQuantity,
  parseCpus,
  parseMemory,
  parseStorageSize,
  UnitError,
} from "../../components/units";
import { ValidationError } from "../../components/errors";

describe("memory as people type it", () => {
  test.each([
    ["100m", 104857600, 100, "100Mi"],
    ["1g", 1073741824, 1024, "1Gi"],
    ["1.5g", 1610612736, 1536, "1536Mi"],
    ["512Mi", 536870912, 512, "512Mi"],
    ["2GiB", 2147483648, 2048, "2Gi"],
    ["6m", 6291456, 6, "6Mi"],
    ["131072k", 134217728, 128, "128Mi"],
    ["104857600", 104857600, 100, "100Mi"],
    ["100M", 104857600, 100, "100Mi"],
  ])("%s is %d bytes, %d MiB for Docker, %s for Kubernetes", (text, bytes, mib, quantity) => {
    expect(parseMemory(text)).toBe(bytes);
    expect(memoryToDockerMiB(parseMemory(text))).toBe(mib);
    expect(memoryToQuantity(parseMemory(text))).toBe(quantity);
  });

  test("a size that is not whole MiB is refused for Docker instead of rounded", () => {
    expect(memoryToQuantity(parseMemory("6500k"))).toBe("6500Ki");
    expect(() => memoryToDockerMiB(parseMemory("6500k"))).toThrow(
      "memory must be a whole number of MiB for Docker, got 6656000 bytes (6.348 MiB)",
    );
  });

  test.each([
    ["0", 'memory must be at least 6m (Docker\'s minimum), got "0"'],
    ["5m", 'memory must be at least 6m (Docker\'s minimum), got "5m"'],
    ["512", 'memory must be at least 6m (Docker\'s minimum), got "512" (512 bytes: a number without a unit is bytes; write 512m for MiB)'],
    ["lots", 'memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "lots"'],
    ["100mb5", 'memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "100mb5"'],
    ["1.0000001k", 'memory must be a whole number of bytes, got "1.0000001k"'],
  ])("%s is refused", (text, message) => {
    expect(() => parseMemory(text)).toThrow(message);
  });
});

describe("cpus as docker run --cpus", () => {
  test.each([
    [0.5, 500, "0.5", "500m"],
    [1, 1000, "1.0", "1"],
    [2, 2000, "2.0", "2"],
    [0.25, 250, "0.25", "250m"],
    [1.5, 1500, "1.5", "1500m"],
    [0.1, 100, "0.1", "100m"],
    [0.011, 11, "0.011", "11m"],
    [0.012, 12, "0.012", "12m"],
    [10, 10000, "10.", "10"],
    [10.5, 10500, "10.5", "10500m"],
  ])("%d CPUs = %dm = docker %s = k8s %s", (cpus, millis, dockerCpus, quantity) => {
    expect(parseCpus(cpus)).toBe(millis);
    expect(cpusToDocker(millis)).toBe(dockerCpus);
    expect(cpusToQuantity(millis)).toBe(quantity);
  });

  test.each([
    // The provider rounds a text with exactly nine zeros to one decimal: these would be replaced on every up.
    [50, "0.1", "use 0.049 or 0.051"],
    [10, "0.0", "use 0.011"],
    [1, "0.0", "use 0.011"],
    [10050, "10.1", "use 10.049 or 10.051"],
  ])("%dm: the Docker provider reads it back as %s, so it is refused: %s", (millis, readBack, advice) => {
    expect(dockerCpusReadBack(millis)).toBe(readBack);
    expect(dockerKeepsCpus(millis)).toBe(false);
    expect(() => cpusToDocker(millis)).toThrow(`cpus ${millis / 1000} is read back by the Docker provider as ${readBack}; ${advice}`);
  });

  test('every limit up to 64 CPUs is either kept exactly or refused: 126 refused (10, 20 … 60 kept, written "10.")', () => {
    const millis = Array.from({ length: 64_000 }, (_, i) => i + 1);
    const refused = millis.filter((m) => !dockerKeepsCpus(m));
    expect(refused.length).toBe(126);
    expect(refused.filter((m) => m % 1000 === 0)).toEqual([]);
    for (const m of millis.filter((m) => dockerKeepsCpus(m))) expect(Number(cpusToDocker(m)) * 1000).toBeCloseTo(m, 6);
  });

  test("0.01 CPU, the kernel's minimum, is a valid limit (10m)", () => {
    expect(parseCpus(0.01)).toBe(10);
  });

  test.each([
    [0, "cpus must be a number of CPUs greater than 0, like 0.5 or 2, got 0"],
    [-1, "cpus must be a number of CPUs greater than 0, like 0.5 or 2, got -1"],
    [Number.NaN, "cpus must be a number of CPUs greater than 0, like 0.5 or 2, got NaN"],
    [Number.POSITIVE_INFINITY, "cpus must be a number of CPUs greater than 0, like 0.5 or 2, got Infinity"],
    [0.0005, "cpus must be a multiple of 0.001 CPU, got 0.0005"],
    // Below the kernel's smallest quota: Docker refuses it, swarm's task fails; the same message on every target.
    [0.001, "cpus must be at least 0.01 CPU, the smallest CPU quota the kernel takes (Docker and swarm refuse less), got 0.001"],
    [0.009, "cpus must be at least 0.01 CPU, the smallest CPU quota the kernel takes (Docker and swarm refuse less), got 0.009"],
  ])("%d is refused", (cpus, message) => {
    expect(() => parseCpus(cpus)).toThrow(message);
  });
});

describe("unit errors", () => {
  test("name the field as the caller gives it and are ValidationErrors, so components need not re-wrap them", () => {
    let thrown: unknown;
    try {
      parseMemory("0", 'Container "vote": memory');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnitError);
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as Error).message).toBe('Container "vote": memory must be at least 6m (Docker\'s minimum), got "0"');
  });
});

describe("storage sizes (volume claims)", () => {
  test.each([
    ["10g", 10 * 1024 ** 3, "10Gi"],
    ["1Gi", 1024 ** 3, "1Gi"],
    // No memory limit's 6m minimum: a small claim is a valid claim.
    ["1m", 1024 ** 2, "1Mi"],
    ["512k", 512 * 1024, "512Ki"],
  ])("%s = %d bytes = %s", (text, bytes, quantity) => {
    expect(parseStorageSize(text)).toBe(bytes);
    expect(memoryToQuantity(parseStorageSize(text))).toBe(quantity);
  });

  test.each([
    ["0", 'size must be more than 0, got "0"'],
    ["big", 'size must be a storage size like "1Gi", "512Mi" or "10g" (units b, k, m, g, t; binary), got "big"'],
    [
      "10GB",
      'size "10GB" is ambiguous: dockyard reads sizes in binary units (10Gi, 10 × 1024^3 bytes), Kubernetes reads 10G as 10 × 1000^3; write "10Gi"',
    ],
    [
      "512 mb",
      'size "512 mb" is ambiguous: dockyard reads sizes in binary units (512Mi, 512 × 1024^2 bytes), Kubernetes reads 512M as 512 × 1000^2; write "512Mi"',
    ],
  ])("%s is refused", (text, message) => {
    expect(() => parseStorageSize(text)).toThrow(new UnitError(message));
  });
});
