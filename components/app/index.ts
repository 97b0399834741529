/**
 * An app described once as typed data (its services, networks, volumes and secrets) and deployed by
 * a stack onto Docker, a swarm or Kubernetes, with the stage's settings from the stack's config.
 */
export { deployStack, StackOutputs } from "./stack";
export { AppDefinition } from "../../stacks/overrides";
export {
  AppModel,
  Autoscaling,
  DependencyCondition,
  HealthCheck,
  ImageSource,
  Limits,
  NetworkModel,
  Placement,
  Reservations,
  RestartPolicy,
  RollbackSettings,
  Rollout,
  SecretModel,
  ServiceModel,
  ServicePort,
  VolumeMount,
  VolumeModel,
} from "../../stacks/model";
