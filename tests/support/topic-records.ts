import type { Message } from '@platformatic/kafka';
import { createConsumer } from '@shop/platform';
import { testKafkaConnection, uniqueName } from '@shop/test-support';

/** How long a read waits for the log to hold no more records before it returns what it has. */
const QUIET_MS = 1_500;

/** Every record currently in `topic` (read from the start with a throwaway group that commits nothing). */
export async function readTopic(topic: string): Promise<Message<string, Buffer, string, Buffer>[]> {
  const consumer = createConsumer(await testKafkaConnection(), uniqueName('test-reader'));
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: 200 });
    const records: Message<string, Buffer, string, Buffer>[] = [];
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      const quiet = () => {
        clearTimeout(timer);
        timer = setTimeout(resolve, QUIET_MS);
      };
      stream.on('data', (record: Message<string, Buffer, string, Buffer>) => {
        records.push(record);
        quiet();
      });
      quiet();
    });
    clearTimeout(timer);
    await stream.close();
    return records;
  } finally {
    await consumer.close(true);
  }
}
