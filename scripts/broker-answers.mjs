// Exits 0 if an AMQP broker answers at the first AMQP_URL entry within 3 s.
import amqplib from 'amqplib';

const url = (process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672').split(',')[0].trim();
const timer = setTimeout(() => process.exit(1), 3000);
try {
  const connection = await amqplib.connect(url);
  await connection.close();
  clearTimeout(timer);
  process.exit(0);
} catch {
  process.exit(1);
}
