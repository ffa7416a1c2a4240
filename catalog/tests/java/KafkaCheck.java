// A Kafka client for catalog/tests/kafka_kraft.rs, run as `java -cp <Kafka jars> KafkaCheck.java
// <command> <bootstrap servers> ...` with the kafka-clients jar of the pinned release:
//   quorum                              the metadata quorum: "leader <id>" and "voter <id>" lines
//   topic <name> <partitions> <rf> [<min isr>]
//                                       creates a topic (min.insync.replicas set on it when given)
//   config <topic> <key>                "<value> <source>" of one of the topic's settings
//   isr <topic>                         "<partition> <leader> <in-sync replicas>" per partition
//   produce <topic> <value>             sends with acks=all: "sent", else "refused <exception>"
//   consume <topic> <count>             reads from the start until <count> records: their values
// Exits 0 unless the command could not be carried out.

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class KafkaCheck {
    public static void main(String[] args) throws Exception {
        String command = args[0];
        String bootstrap = args[1];
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        switch (command) {
            case "quorum" -> {
                try (Admin client = Admin.create(admin)) {
                    QuorumInfo quorum = client.describeMetadataQuorum().quorumInfo().get();
                    System.out.println("leader " + quorum.leaderId());
                    for (QuorumInfo.ReplicaState voter : quorum.voters()) {
                        System.out.println("voter " + voter.replicaId());
                    }
                }
            }
            case "topic" -> {
                try (Admin client = Admin.create(admin)) {
                    NewTopic topic = new NewTopic(args[2], Integer.parseInt(args[3]),
                            Short.parseShort(args[4]));
                    if (args.length > 5) {
                        topic.configs(Map.of("min.insync.replicas", args[5]));
                    }
                    client.createTopics(List.of(topic)).all().get();
                    System.out.println("created " + args[2]);
                }
            }
            case "config" -> {
                try (Admin client = Admin.create(admin)) {
                    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, args[2]);
                    Config config = client.describeConfigs(List.of(resource)).all().get().get(resource);
                    ConfigEntry entry = config.get(args[3]);
                    System.out.println(entry.value() + " " + entry.source());
                }
            }
            case "isr" -> {
                try (Admin client = Admin.create(admin)) {
                    TopicDescription description =
                            client.describeTopics(List.of(args[2])).allTopicNames().get().get(args[2]);
                    for (TopicPartitionInfo partition : description.partitions()) {
                        List<Integer> isr = new ArrayList<>();
                        partition.isr().forEach(node -> isr.add(node.id()));
                        System.out.println(partition.partition() + " " + partition.leader().id() + " " + isr);
                    }
                }
            }
            case "produce" -> produce(bootstrap, args[2], args[3]);
            case "consume" -> consume(bootstrap, args[2], Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("unknown command " + command);
        }
    }

    static void produce(String bootstrap, String topic, String value) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // No retries, so that a refusal (NotEnoughReplicas) is reported as itself, not as the
        // timeout of its retries.
        props.put(ProducerConfig.RETRIES_CONFIG, "0");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(topic, value)).get(20, TimeUnit.SECONDS);
            System.out.println("sent");
        } catch (ExecutionException e) {
            System.out.println("refused " + e.getCause().getClass().getSimpleName());
        }
    }

    static void consume(String bootstrap, String topic, int count) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> values = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 30_000;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            while (values.size() < count && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
                    values.add(record.value());
                }
            }
        }
        values.forEach(System.out::println);
    }
}
