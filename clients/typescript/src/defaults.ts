/** The service address a client uses when given none and MAGEFLOW_SERVER is unset (the Connect port). */
export const DEFAULT_SERVER = "http://127.0.0.1:8080";
