// Logs one DEBUG and one INFO line through SLF4J as a ZooKeeper class would, so a test can see
// which levels the logback configuration on the classpath lets through to the console.
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public class LogLevels {
    public static void main(String[] args) {
        Logger log = LoggerFactory.getLogger("org.apache.zookeeper.server.ZooKeeperServer");
        log.debug("firecamp-debug-line");
        log.info("firecamp-info-line");
    }
}
