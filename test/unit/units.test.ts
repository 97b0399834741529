import {
  cpusToDocker,
  cpusToNanoCpus,
  cpusToQuantity,
  memoryToDockerMiB,
  memoryToQuantity,
  parseCpus,
  parseMemory,
} from "../../components/units";

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
    ["lots", 'memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "lots"'],
    ["100mb5", 'memory must be a size like "100m", "1g" or "512Mi" (units b, k, m, g, t; binary, as in docker run --memory), got "100mb5"'],
    ["1.0000001k", 'memory must be a whole number of bytes, got "1.0000001k"'],
  ])("%s is refused", (text, message) => {
    expect(() => parseMemory(text)).toThrow(message);
  });
});

describe("cpus as docker run --cpus", () => {
  test.each([
    [0.5, 500, "0.5", 500000000, "500m"],
    [1, 1000, "1.0", 1000000000, "1"],
    [2, 2000, "2.0", 2000000000, "2"],
    [0.25, 250, "0.25", 250000000, "250m"],
    [1.5, 1500, "1.5", 1500000000, "1500m"],
    [0.1, 100, "0.1", 100000000, "100m"],
    [0.001, 1, "0.001", 1000000, "1m"],
  ])("%d CPUs = %dm = docker %s (NanoCpus %d) = k8s %s", (cpus, millis, dockerCpus, nano, quantity) => {
    expect(parseCpus(cpus)).toBe(millis);
    expect(cpusToDocker(millis)).toBe(dockerCpus);
    expect(cpusToNanoCpus(millis)).toBe(nano);
    expect(cpusToQuantity(millis)).toBe(quantity);
  });

  test.each([
    [0, "cpus must be a number of CPUs greater than 0, like 0.5 or 2, got 0"],
    [-1, "cpus must be a number of CPUs greater than 0, like 0.5 or 2, got -1"],
    [Number.NaN, "cpus must be a number of CPUs greater than 0, like 0.5 or 2, got NaN"],
    [Number.POSITIVE_INFINITY, "cpus must be a number of CPUs greater than 0, like 0.5 or 2, got Infinity"],
    [0.0005, "cpus must be a multiple of 0.001 CPU, got 0.0005"],
  ])("%d is refused", (cpus, message) => {
    expect(() => parseCpus(cpus)).toThrow(message);
  });
});
