/** Raised by the components' validators: the message names the resource, the field, the value and what is allowed. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValidationError";
  }
}
