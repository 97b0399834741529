"""A Pulumi Python program that uses dockyard's components through `pulumi package add`."""
import pulumi
import pulumi_dockyard as dockyard

config = pulumi.Config()
network = dockyard.Network("backend", name="pkge2e-py-backend", subnet="10.237.2.0/24")
web = dockyard.Container(
    "web",
    name="pkge2e-py-web",
    image=config.require("pythonImage"),
    command=["python3", "-m", "http.server", "8000"],
    cpus=0.25,
    memory="96m",
    networks=[dockyard.ContainerNetworkArgsArgs(name=network.network_name)],
    ports=[dockyard.ContainerPortArgsArgs(container_port=8000, host_port=18411)],
    health=dockyard.ContainerHealthArgsArgs(
        command=["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000')"],
        interval_seconds=2,
    ),
)
cache = dockyard.ComposeApp(
    "cache",
    file="compose.yaml",
    services={"cache": dockyard.ComposeServiceSettingsArgs(image=config.require("redisImage"), ports={"tcp-6379": 18412})},
)

pulumi.export("webContainer", web.container_name)
pulumi.export("cacheUrls", cache.urls)
pulumi.export("cacheServices", cache.service_names)
