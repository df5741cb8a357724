import { useEffect, useState } from "react";

/** Page routes live in the hash (`#/signatures`, `#/signature/<key>`, `#/graph/<key>`): the server serves one page. */
export type Route = { page: "overview" } | { page: "signatures" } | { page: "signature"; key: string } | { page: "graph"; key: string };

export function parseRoute(hash: string): Route {
  const [, page, ...rest] = hash.replace(/^#/, "").split("/");
  const key = decodeURIComponent(rest.join("/"));
  if ((page === "signature" || page === "graph") && key) return { page, key };
  if (page === "overview") return { page: "overview" };
  return { page: "signatures" };
}

export const hrefOf = (r: Route) => (r.page === "signature" || r.page === "graph" ? `#/${r.page}/${encodeURIComponent(r.key)}` : `#/${r.page}`);

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
