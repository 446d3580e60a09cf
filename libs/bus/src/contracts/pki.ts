// PKI subjects (am.pki.*) are declared here with the pki service.
export {};
