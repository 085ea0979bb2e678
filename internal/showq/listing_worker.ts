/**
 * listing_worker — the second thread of a large queue listing (parallel_listing.ts). The first message is the
 * ListingFormat; every later one is a BlockRequest, answered with its BlockResult, in the order received.
 * An exception ends the worker (its `error` event): the listing thread then lists the blocks itself.
 */
import { BlockLister, type BlockRequest, type ListingFormat } from "./parallel_listing.ts";

declare const self: Worker;

let lister: BlockLister | undefined;

// the binary starts with a reluctant JIT (build.ts); a worker lists thousands of messages, like its program
Bun.unsafe.setJITPolicy(1);

self.onmessage = (e: MessageEvent<ListingFormat | BlockRequest>) => {
  const data = e.data;
  if (lister === undefined) {
    lister = new BlockLister(data as ListingFormat);
    return;
  }
  self.postMessage(lister.run(data as BlockRequest));
};
