import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Runs DynamoDB Local bound to one address (127.0.0.1 unless -Dcfp.host says otherwise).
 *
 * DynamoDB Local's own main has no host option: it builds a Jetty Server from the port alone, which
 * listens on every interface. This launcher takes the same command-line options, builds the server
 * the same way, and sets the host on Jetty's connector before starting it. Telemetry is not set up
 * here (the caller also sets DDB_LOCAL_TELEMETRY=0), so nothing is sent anywhere.
 */
public final class LoopbackDynamoDB {
    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable e) {
            // Exit, rather than end only the main thread: DynamoDB Local's own threads would keep the JVM alive.
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        String host = System.getProperty("cfp.host", "127.0.0.1");
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setHost(host);
        }
        proxy.start(); // throws when the port is taken
        // The Go side waits for this line, so that another server already on the port is not taken for this one.
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        System.out.println("LoopbackDynamoDB: listening on " + host + ":" + port);
        System.out.flush();
        proxy.join();
    }
}
