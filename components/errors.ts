import * as pulumi from "@pulumi/pulumi";

/**
 * Raised by the components' validators: the message names the resource, the field, the value and what
 * is allowed. A Pulumi RunError, so `pulumi up` and `preview` print the message as the one error of
 * the run, without a stack trace: bad input is the user's to fix, not a crash of the program.
 */
export class ValidationError extends pulumi.RunError {
  constructor(message: string) {
    super(message);
    this.name = "ValidationError";
  }
}
