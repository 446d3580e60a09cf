// Identity subjects (am.identity.*) are declared here with the identity service.
export {};
