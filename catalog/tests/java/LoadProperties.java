// Reads a .properties file as the JVM services firecamp renders for read theirs (Cassandra's
// SnitchProperties, Kafka's Utils.loadProps and ZooKeeper's QuorumPeerConfig all call
// java.util.Properties.load on a file's InputStream, that is as ISO 8859-1), and prints each
// entry as its key and value in UTF-16 units, hex, so no character can be misread on the way.
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Properties;
import java.util.TreeSet;

public class LoadProperties {
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        try (InputStream in = new FileInputStream(args[0])) {
            properties.load(in);
        }
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            System.out.println(hex(key) + " " + hex(properties.getProperty(key)));
        }
    }

    private static String hex(String text) {
        StringBuilder out = new StringBuilder("x");
        for (char c : text.toCharArray()) {
            out.append(String.format("%04x", (int) c));
        }
        return out.toString();
    }
}
